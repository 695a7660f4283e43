import type StatsCommand from '../commands/stats.js';
import type {InvocationOf} from '../base-command.js';
import {fanOut, type NodeResult} from '../fanout.js';
import type {StatRecord} from '../output/stats-view.js';
import type {RunContext} from '../runtime.js';

/** talosctl's `stats`: one Stats call per node; one table (header always) once every node answered. */
export default async function stats({flags}: InvocationOf<typeof StatsCommand>, ctx: RunContext): Promise<NodeResult<StatRecord[][]>[]> {
  const format = flags.output === 'table' ? undefined : (await import('../output/format.js')).parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, machine, view] = await Promise.all([import('../node-api.js'), import('../../machinery/api/machine/machine.js'), import('../output/stats-view.js')]);
  const arrived: StatRecord[][] = [];
  const results = await ctx.withClient(session, (client) =>
    fanOut(nodes, async (node) => {
      const response = await client.unary(machine.MachineServiceService.stats, api.containerTarget(flags.kubernetes), node);
      const answers = response.messages.map((message) => {
        const from = api.messageNode(message.metadata, node);
        return message.stats.map((s): StatRecord => ({node: from, namespace: s.namespace, id: s.id, podId: s.podId, name: s.name, memoryUsage: s.memoryUsage, cpuUsage: s.cpuUsage}));
      });
      arrived.push(...answers);
      return answers;
    }),
  );
  if (format) {
    const {writeStructured} = await import('../output/structured.js');
    writeStructured(format, ctx.out, arrived.flatMap(view.sortedStats));
  } else if (results.some((r) => !r.error)) {
    // talosctl prints nothing but the error when the call failed.
    ctx.out.write(view.renderStats(arrived));
  }
  ctx.reportNodeErrors(results);
  return results;
}
