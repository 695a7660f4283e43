import type EtcdForfeitLeadershipCommand from '../../commands/etcd/forfeit-leadership.js';
import type {InvocationOf} from '../../base-command.js';
import {fanOut, type NodeResult} from '../../fanout.js';
import type {RunContext} from '../../runtime.js';

/** talosctl's `etcd forfeit-leadership`: EtcdForfeitLeadership on every node, silent on success. */
export default async function etcdForfeitLeadership({flags}: InvocationOf<typeof EtcdForfeitLeadershipCommand>, ctx: RunContext): Promise<NodeResult<void>[]> {
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, machine] = await Promise.all([import('../../node-api.js'), import('../../../machinery/api/machine/machine.js')]);
  const results = await ctx.withClient(session, (client) =>
    fanOut(nodes, async (node) => {
      const response = await client.unary(machine.MachineServiceService.etcdForfeitLeadership, {}, node);
      for (const message of response.messages) api.messageNode(message.metadata, node);
    }),
  );
  ctx.reportNodeErrors(results);
  return results;
}
