import type EtcdLeaveCommand from '../../commands/etcd/leave.js';
import type {InvocationOf} from '../../base-command.js';
import type {RunContext} from '../../runtime.js';

/** talosctl's `etcd leave`: exactly one node, EtcdLeaveCluster, silent on success. */
export default async function etcdLeave({flags}: InvocationOf<typeof EtcdLeaveCommand>, ctx: RunContext): Promise<void> {
  const session = await ctx.session(flags);
  const node = ctx.singleNode(session);
  const machine = await import('../../../machinery/api/machine/machine.js');
  await ctx.withClient(session, (client) => client.unary(machine.MachineServiceService.etcdLeaveCluster, {}, node));
}
