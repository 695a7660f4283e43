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
    // The node's 1 KiB messages joined into pieces of up to 64 KiB: one gunzip (thread pool) or
    // stdout write per message cost more than everything else osctl does.
    async function* archiveBytes(): AsyncGenerator<Uint8Array> {
      let pieces: Uint8Array[] = [];
      let size = 0;
      for await (const data of stream) {
        if (data.metadata?.error) {
          nodeError = data.metadata.error;
          continue;
        }
        pieces.push(data.bytes);
        size += data.bytes.length;
        if (size >= 64 * 1024) {
          yield Buffer.concat(pieces, size);
          pieces = [];
          size = 0;
        }
      }
      if (size > 0) yield Buffer.concat(pieces, size);
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
