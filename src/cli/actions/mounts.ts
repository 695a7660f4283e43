import type MountsCommand from '../commands/mounts.js';
import type {InvocationOf} from '../base-command.js';
import {fanOut, type NodeResult} from '../fanout.js';
import type {MountRecord} from '../output/readouts-view.js';
import type {RunContext} from '../runtime.js';

/** talosctl's `mounts`: rows in /proc/mounts order per node, in tabwriter blocks flushed after 500 ms of quiet. */
export default async function mounts({flags}: InvocationOf<typeof MountsCommand>, ctx: RunContext): Promise<NodeResult<MountRecord[]>[]> {
  const table = flags.output === 'table';
  const format = table ? undefined : (await import('../output/format.js')).parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, view, {QuietFlushTable}] = await Promise.all([
    import('../readout-api.js'), import('../output/readouts-view.js'), import('../output/table.js'),
  ]);
  const results = await ctx.withClient(session, (client) => {
    const printer = table ? new QuietFlushTable(ctx.out, view.MOUNTS_HEADER) : undefined;
    return fanOut(nodes, async (node) => {
      const records = await api.mounts(client, node);
      printer?.add(records.map(view.mountRow).filter((row): row is string[] => row !== undefined));
      return records;
    }).finally(() => printer?.end());
  });
  if (format) {
    const {writeStructured} = await import('../output/structured.js');
    writeStructured(format, ctx.out, results.flatMap((r) => r.value ?? []));
  }
  ctx.reportNodeErrors(results);
  return results;
}
