import type EtcdDefragCommand from '../../commands/etcd/defrag.js';
import type {InvocationOf} from '../../base-command.js';
import type {RunContext} from '../../runtime.js';

/** talosctl's `etcd defrag`: exactly one node, EtcdDefragment, silent on success. */
export default async function etcdDefrag({flags}: InvocationOf<typeof EtcdDefragCommand>, ctx: RunContext): Promise<void> {
  const session = await ctx.session(flags);
  const node = ctx.singleNode(session);
  const machine = await import('../../../machinery/api/machine/machine.js');
  const {mayGoOnAfterDeadline} = await import('./deadline.js');
  await ctx.withClient(session, (client) => mayGoOnAfterDeadline(client.unary(machine.MachineServiceService.etcdDefragment, {}, node), [
    `if the call reached the node, its member goes on defragmenting after this deadline: watch DB SIZE in \`osctl -n ${node} etcd status\` rather than running it again`,
    'a large database takes longer: give it e.g. --timeout 5m',
  ]));
}
