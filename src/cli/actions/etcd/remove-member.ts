import type EtcdRemoveMemberCommand from '../../commands/etcd/remove-member.js';
import type {InvocationOf} from '../../base-command.js';
import {CliError, EXIT_USAGE} from '../../errors.js';
import {fanOut, type NodeResult} from '../../fanout.js';
import {quoteInput} from '../../quote.js';
import type {RunContext} from '../../runtime.js';

/** talosctl's `etcd remove-member <hex id>`: the id checked first, then EtcdRemoveMemberByID on every node, silent on success. */
export default async function etcdRemoveMember({flags, args}: InvocationOf<typeof EtcdRemoveMemberCommand>, ctx: RunContext): Promise<NodeResult<void>[]> {
  const view = await import('../../output/etcd-view.js');
  let memberId: bigint;
  try {
    memberId = view.parseMemberId(args.id, quoteInput(args.id));
  } catch (error) {
    throw new CliError(`error parsing member ID: ${(error as Error).message}`, EXIT_USAGE, [
      'the member ID is the hex ID `osctl etcd members` shows (not the hostname), e.g. `osctl etcd remove-member 7d3ccc0824541630`',
    ]);
  }
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, machine] = await Promise.all([import('../../node-api.js'), import('../../../machinery/api/machine/machine.js')]);
  const results = await ctx.withClient(session, (client) =>
    fanOut(nodes, async (node) => {
      const response = await client.unary(machine.MachineServiceService.etcdRemoveMemberById, {memberId}, node);
      for (const message of response.messages) api.messageNode(message.metadata, node);
    }),
  );
  ctx.reportNodeErrors(results);
  return results;
}
