import type EtcdMembersCommand from '../../commands/etcd/members.js';
import type {InvocationOf} from '../../base-command.js';
import {fanOut, type NodeResult} from '../../fanout.js';
import type {EtcdMemberRecord} from '../../output/etcd-view.js';
import type {RunContext} from '../../runtime.js';

/**
 * talosctl's `etcd members`: EtcdMemberList{query_local} per node; the header first, then each
 * node's rows as it answers (tabwriter blocks after 500 ms of quiet); -o json|yaml once all answered.
 */
export default async function etcdMembers({flags}: InvocationOf<typeof EtcdMembersCommand>, ctx: RunContext): Promise<NodeResult<EtcdMemberRecord[]>[]> {
  const format = flags.output === 'table' ? undefined : (await import('../../output/format.js')).parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, machine, view, {QuietFlushTable}] = await Promise.all([
    import('../../node-api.js'), import('../../../machinery/api/machine/machine.js'), import('../../output/etcd-view.js'), import('../../output/table.js'),
  ]);
  const results = await ctx.withClient(session, (client) => {
    const table = format === undefined ? new QuietFlushTable(ctx.out, view.MEMBERS_HEADER) : undefined;
    return fanOut(nodes, async (node) => {
      const response = await client.unary(machine.MachineServiceService.etcdMemberList, {queryLocal: true}, node);
      const records = response.messages.flatMap((message) => {
        const from = api.messageNode(message.metadata, node);
        return message.members.map((m): EtcdMemberRecord => ({
          node: from, id: view.formatMemberId(m.id), hostname: m.hostname, peerUrls: m.peerUrls, clientUrls: m.clientUrls, isLearner: m.isLearner,
        }));
      });
      table?.add(records.map(view.memberRow));
      return records;
    }).finally(() => table?.end());
  });
  if (format) {
    const {writeStructured} = await import('../../output/structured.js');
    writeStructured(format, ctx.out, results.flatMap((r) => r.value ?? []));
  }
  ctx.reportNodeErrors(results);
  return results;
}
