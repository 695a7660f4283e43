import type ReadCommand from '../commands/read.js';
import type {InvocationOf} from '../base-command.js';
import {cancelSignal} from '../cancel.js';
import {CliError} from '../errors.js';
import type {RunContext} from '../runtime.js';

/** Writes to stdout, waiting while it is full (so the node's stream waits too) or until Ctrl-C. */
export async function writeStdout(bytes: Uint8Array): Promise<void> {
  if (process.stdout.write(bytes)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      process.stdout.off('drain', done);
      cancelSignal.removeEventListener('abort', done);
      resolve();
    };
    process.stdout.on('drain', done);
    cancelSignal.addEventListener('abort', done, {once: true});
  });
}

/**
 * talosctl's `read`: one node, the file's bytes to stdout as they arrive (raw, nothing added).
 * A failure is `error reading: <rpc error>` (talosctl's wording), named with its node.
 */
export default async function read({flags, args}: InvocationOf<typeof ReadCommand>, ctx: RunContext): Promise<void> {
  const session = await ctx.session(flags);
  const node = ctx.singleNode(session);
  const {MachineServiceService} = await import('../../machinery/api/machine/machine.js');
  await ctx.withClient(session, async (client) => {
    try {
      for await (const data of client.serverStream(MachineServiceService.read, {path: args.path}, node, 'first-answer')) {
        if (data.metadata?.error) throw new Error(data.metadata.error);
        if (data.bytes.length > 0) await writeStdout(data.bytes);
        if (cancelSignal.aborted) return;
      }
    } catch (err) {
      if (cancelSignal.aborted) return;
      throw new CliError(`error reading from node ${node}: ${(err as Error).message}`);
    }
  });
}
