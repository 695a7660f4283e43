import type EtcdStatusCommand from '../../commands/etcd/status.js';
import type {InvocationOf} from '../../base-command.js';
import {fanOut, type NodeResult} from '../../fanout.js';
import type {EtcdStatusRecord} from '../../output/etcd-view.js';
import type {RunContext} from '../../runtime.js';

/**
 * talosctl's `etcd status`: EtcdStatus per node; the header first, then each node's row as it
 * answers (tabwriter blocks after 500 ms of quiet); -o json|yaml once every node answered.
 */
export default async function etcdStatus({flags}: InvocationOf<typeof EtcdStatusCommand>, ctx: RunContext): Promise<NodeResult<EtcdStatusRecord[]>[]> {
  const format = flags.output === 'table' ? undefined : (await import('../../output/format.js')).parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, machine, view, {QuietFlushTable}] = await Promise.all([
    import('../../node-api.js'), import('../../../machinery/api/machine/machine.js'), import('../../output/etcd-view.js'), import('../../output/table.js'),
  ]);
  const results = await ctx.withClient(session, (client) => {
    const table = format === undefined ? new QuietFlushTable(ctx.out, view.STATUS_HEADER) : undefined;
    return fanOut(nodes, async (node) => {
      const response = await client.unary(machine.MachineServiceService.etcdStatus, {}, node);
      const records = response.messages.map((message): EtcdStatusRecord => {
        const from = api.messageNode(message.metadata, node);
        const s = message.memberStatus;
        return {
          node: from,
          memberId: view.formatMemberId(s?.memberId ?? 0n),
          leader: view.formatMemberId(s?.leader ?? 0n),
          dbSize: s?.dbSize ?? 0n,
          dbSizeInUse: s?.dbSizeInUse ?? 0n,
          raftIndex: s?.raftIndex ?? 0n,
          raftTerm: s?.raftTerm ?? 0n,
          raftAppliedIndex: s?.raftAppliedIndex ?? 0n,
          isLearner: s?.isLearner ?? false,
          protocolVersion: s?.protocolVersion ?? '',
          storageVersion: s?.storageVersion ?? '',
          errors: s?.errors ?? [],
        };
      });
      table?.add(records.map(view.statusRow));
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
