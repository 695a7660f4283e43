import type EtcdLeaveCommand from '../../commands/etcd/leave.js';
import type {InvocationOf} from '../../base-command.js';
import type {RunContext} from '../../runtime.js';

/** talosctl's `etcd leave`: exactly one node, EtcdLeaveCluster, silent on success. */
export default async function etcdLeave({flags}: InvocationOf<typeof EtcdLeaveCommand>, ctx: RunContext): Promise<void> {
  const session = await ctx.session(flags);
  const node = ctx.singleNode(session);
  const machine = await import('../../../machinery/api/machine/machine.js');
  const {mayGoOnAfterDeadline} = await import('./deadline.js');
  await ctx.withClient(session, (client) => mayGoOnAfterDeadline(client.unary(machine.MachineServiceService.etcdLeaveCluster, {}, node), [
    `if the call reached the node, it goes on leaving after this deadline: check \`osctl -n ${node} service etcd\` (Preparing once it left) and \`osctl etcd members\` before running it again`,
    'the node waits up to 3 min for its member id and retries the removal for up to 5 min while etcd is unhealthy: give it e.g. --timeout 10m',
  ]));
}
