import type ContainersCommand from '../commands/containers.js';
import type {InvocationOf} from '../base-command.js';
import {fanOut, type NodeResult} from '../fanout.js';
import type {ContainerRecord} from '../output/containers-view.js';
import type {RunContext} from '../runtime.js';

/**
 * talosctl's `containers`: the header first, then each node's answer as it arrives, in tabwriter
 * blocks flushed after 500 ms of quiet; structured output (-o json|yaml) once every node answered.
 */
export default async function containers({flags}: InvocationOf<typeof ContainersCommand>, ctx: RunContext): Promise<NodeResult<ContainerRecord[][]>[]> {
  const table = flags.output === 'table';
  const format = table ? undefined : (await import('../output/format.js')).parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, {ContainersTable, sortedById}] = await Promise.all([import('../node-api.js'), import('../output/containers-view.js')]);
  const results = await ctx.withClient(session, (client) => {
    const printer = table ? new ContainersTable(ctx.out) : undefined;
    return fanOut(nodes, async (node) => {
      const answers = await api.listContainers(client, node, flags.kubernetes);
      for (const answer of answers) printer?.add(answer);
      return answers;
    }).finally(() => printer?.end());
  });
  if (format) {
    const {writeStructured} = await import('../output/structured.js');
    // The same order as the table: per answer, sorted by id.
    const sorted = results.flatMap((r) => r.value ?? []).flatMap(sortedById);
    writeStructured(format, ctx.out, sorted);
  }
  ctx.reportNodeErrors(results);
  return results;
}
