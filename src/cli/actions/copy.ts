import type CopyCommand from '../commands/copy.js';
import type {InvocationOf} from '../base-command.js';
import {cancelSignal} from '../cancel.js';
import {CliError, EXIT_USAGE} from '../errors.js';
import type {RunContext} from '../runtime.js';
import {writeStdout} from './read.js';

/**
 * talosctl's `copy`: one node's gzip tar of <src-path>, to stdout (`-`) or extracted into a local
 * folder. Extraction treats the archive as hostile (the node may be): see archive-extract.ts.
 * Per-file failures the node reports after the data are printed once the copy is in place (exit 1),
 * as talosctl reports them after extracting.
 */
export default async function copy({flags, args}: InvocationOf<typeof CopyCommand>, ctx: RunContext): Promise<void> {
  const session = await ctx.session(flags);
  const node = ctx.singleNode(session);
  if (args.dest === '') throw new CliError('the local path is empty: give a directory, or - for stdout', EXIT_USAGE);
  const [{MachineServiceService}, extractor] = await Promise.all([
    import('../../machinery/api/machine/machine.js'),
    args.dest === '-' ? Promise.resolve(undefined) : import('../archive-extract.js'),
  ]);
  const target = extractor ? await extractor.prepareDestination(args.dest) : undefined;
  let nodeError: string | undefined;
  await ctx.withClient(session, async (client) => {
    const stream = client.serverStream(MachineServiceService.copy, {rootPath: args.src}, node, 'first-answer');
    async function* archiveBytes(): AsyncGenerator<Uint8Array> {
      for await (const data of stream) {
        if (data.metadata?.error) {
          nodeError = data.metadata.error;
          continue;
        }
        if (data.bytes.length > 0) yield data.bytes;
      }
    }
    try {
      if (!target) {
        for await (const bytes of archiveBytes()) await writeStdout(bytes);
        return;
      }
      await extractor!.extractInto(target, archiveBytes(), cancelSignal);
    } catch (err) {
      if (cancelSignal.aborted) return;
      // The node's own error (a missing path: no archive at all) explains a failed extraction best.
      if (nodeError !== undefined) return;
      throw new CliError(`error copying from node ${node}: ${(err as Error).message}`);
    }
  });
  if (nodeError !== undefined && !cancelSignal.aborted) {
    const {escapeControls} = await import('../quote.js');
    throw new CliError(`error copying from node ${node}: ${escapeControls(nodeError.trimEnd(), {keepNewlines: true})}`);
  }
}
