import type MemoryCommand from '../commands/memory.js';
import type {InvocationOf} from '../base-command.js';
import {fanOut, type NodeResult} from '../fanout.js';
import type {MemoryRecord} from '../output/readouts-view.js';
import type {RunContext} from '../runtime.js';

/**
 * talosctl's `memory`: the table in tabwriter blocks flushed after 500 ms of quiet, each node's row
 * as it answers; -v prints each node's values as it answers; -o json|yaml once every node answered.
 */
export default async function memory({flags}: InvocationOf<typeof MemoryCommand>, ctx: RunContext): Promise<NodeResult<MemoryRecord[]>[]> {
  const table = flags.output === 'table';
  const format = table ? undefined : (await import('../output/format.js')).parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, view, {QuietFlushTable}] = await Promise.all([
    import('../readout-api.js'), import('../output/readouts-view.js'), import('../output/table.js'),
  ]);
  const results = await ctx.withClient(session, (client) => {
    const printer = table && !flags.verbose ? new QuietFlushTable(ctx.out, view.MEMORY_HEADER) : undefined;
    return fanOut(nodes, async (node) => {
      const records = await api.memory(client, node);
      if (printer) printer.add(records.map(view.memoryRow));
      else if (table) for (const record of records) ctx.out.write(view.memoryVerbose(record));
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
