import type RestartCommand from '../commands/restart.js';
import type {InvocationOf} from '../base-command.js';
import {fanOut, type NodeResult} from '../fanout.js';
import type {RunContext} from '../runtime.js';

/** talosctl's `restart`: one call per node, silent on success; failed nodes are reported. */
export default async function restart({flags, args}: InvocationOf<typeof RestartCommand>, ctx: RunContext): Promise<NodeResult<void>[]> {
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const api = await import('../node-api.js');
  const results = await ctx.withClient(session, (client) => fanOut(nodes, (node) => api.restartContainer(client, node, args.id, flags.kubernetes)));
  // talosctl's words for a failed node here, not the usual `error from node`.
  ctx.reportNodeErrors(results, 'error restarting process on node');
  return results;
}
