import type ReadCommand from '../commands/read.js';
import type {InvocationOf} from '../base-command.js';
import {cancelSignal} from '../cancel.js';
import {CliError} from '../errors.js';
import {stdoutWriter} from '../output/stdio.js';
import type {RunContext} from '../runtime.js';

const stdout = stdoutWriter();

/** Writes to stdout, waiting while it is full (so the node's stream waits too) or until Ctrl-C. */
export async function writeStdout(bytes: Uint8Array): Promise<void> {
  if (!stdout.write(bytes)) await stdout.drained();
}

/**
 * Collects the node's 1 KiB chunks into writes of up to 64 KiB (a write per chunk cost as much as
 * the rest of osctl's work); what waits is written after FLUSH_MS at the latest, or at the end.
 */
export class CoalescingWriter {
  private pieces: Uint8Array[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly limit = 64 * 1024, private readonly flushMs = 50) {}

  async write(bytes: Uint8Array): Promise<void> {
    this.pieces.push(bytes);
    this.size += bytes.length;
    if (this.size >= this.limit) await this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.size === 0) return;
    const joined = Buffer.concat(this.pieces, this.size);
    this.pieces = [];
    this.size = 0;
    await writeStdout(joined);
  }
}

/**
 * talosctl's `read`: one node, the file's bytes to stdout as they arrive (raw, nothing added).
 * A failure is `error reading: <rpc error>` (talosctl's wording), named with its node.
 */
export default async function read({flags, args}: InvocationOf<typeof ReadCommand>, ctx: RunContext): Promise<void> {
  const session = await ctx.session(flags);
  const node = ctx.singleNode(session);
  const {MachineServiceService} = await import('../../machinery/api/machine/machine.js');
  const output = new CoalescingWriter();
  await ctx.withClient(session, async (client) => {
    try {
      for await (const data of client.serverStream(MachineServiceService.read, {path: args.path}, node, 'first-answer')) {
        if (data.metadata?.error) throw new Error(data.metadata.error);
        if (data.bytes.length > 0) await output.write(data.bytes);
        if (cancelSignal.aborted) return;
      }
      await output.flush();
    } catch (err) {
      // What arrived before the failure is the file's start: it is printed, as talosctl's io.Copy does.
      await output.flush();
      if (cancelSignal.aborted) return;
      throw new CliError(`error reading from node ${node}: ${(err as Error).message}`);
    }
  });
}
