import type DmesgCommand from '../commands/dmesg.js';
import type {InvocationOf} from '../base-command.js';
import {fanOut, type NodeResult} from '../fanout.js';
import {escapeControls} from '../quote.js';
import type {RunContext} from '../runtime.js';

/**
 * talosctl's `dmesg`: one stream per node, each record printed as `<node>: <record>` as it arrives
 * (the record ends with its own newline). Streams are read only as fast as stdout takes the
 * records. A record the node could not read or parse is reported on stderr as it comes and the
 * stream goes on; the node then counts as failed.
 */
export default async function dmesg({flags}: InvocationOf<typeof DmesgCommand>, ctx: RunContext): Promise<NodeResult<void>[]> {
  const format = flags.output === 'table' ? undefined : (await import('../output/format.js')).parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, {parseDmesgLine}, {stdoutWriter}, structured] = await Promise.all([
    import('../readout-api.js'), import('../output/readouts-view.js'), import('../output/stdio.js'),
    format ? import('../output/structured.js') : undefined,
  ]);
  if (flags.follow) (await import('../output/reader-watch.js')).exitWhenReaderLeaves();
  const stdout = stdoutWriter();
  const print = format && structured ? structured.structuredPrinter(format) : undefined;
  const options = {follow: flags.follow, tail: flags.tail};
  const results = await ctx.withClient(session, (client) =>
    fanOut(nodes, async (node) => {
      const inBandError = await ctx.reportingFailure(node, async () => {
        let first: string | undefined;
        for await (const data of api.openDmesg(client, node, options)) {
          const chunk = api.dmesgChunk(data, node);
          if (chunk.error !== undefined) {
            first ??= chunk.error;
            ctx.err.write(`${chunk.node}: ${escapeControls(chunk.error)}\n`);
            continue;
          }
          if (!chunk.bytes || chunk.bytes.length === 0) continue;
          const text = print
            ? Buffer.from(print(parseDmesgLine(chunk.node, chunk.bytes)))
            : Buffer.concat([Buffer.from(`${chunk.node}: `), chunk.bytes]);
          if (!stdout.write(text)) await stdout.drained();
        }
        return first;
      });
      // Already reported as it came; the node still counts as failed for the exit code.
      if (inBandError !== undefined) throw new Error(inBandError);
    }),
  );
  ctx.setNodeExitCode(results);
  return results;
}
