import type EtcdAlarmDisarmCommand from '../../../commands/etcd/alarm/disarm.js';
import type {InvocationOf} from '../../../base-command.js';
import {fanOut, type NodeResult} from '../../../fanout.js';
import type {EtcdAlarmRecord} from '../../../output/etcd-view.js';
import type {RunContext} from '../../../runtime.js';

/** talosctl's `etcd alarm disarm`: EtcdAlarmDisarm per node, the cleared alarms printed as `alarm list` prints them. */
export default async function etcdAlarmDisarm({flags}: InvocationOf<typeof EtcdAlarmDisarmCommand>, ctx: RunContext): Promise<NodeResult<EtcdAlarmRecord[]>[]> {
  return printAlarms(flags, ctx, 'disarm');
}

/**
 * The alarms of `list` or `disarm` per node: rows as each node answers (tabwriter blocks after
 * 500 ms of quiet), the header only with the first alarm; -o json|yaml once every node answered.
 */
export async function printAlarms(
  flags: InvocationOf<typeof EtcdAlarmDisarmCommand>['flags'],
  ctx: RunContext,
  action: 'list' | 'disarm',
): Promise<NodeResult<EtcdAlarmRecord[]>[]> {
  const format = flags.output === 'table' ? undefined : (await import('../../../output/format.js')).parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, machine, view, {QuietFlushTable}] = await Promise.all([
    import('../../../node-api.js'), import('../../../../machinery/api/machine/machine.js'), import('../../../output/etcd-view.js'), import('../../../output/table.js'),
  ]);
  const method = action === 'list' ? machine.MachineServiceService.etcdAlarmList : machine.MachineServiceService.etcdAlarmDisarm;
  let table: InstanceType<typeof QuietFlushTable> | undefined;
  const results = await ctx.withClient(session, (client) =>
    fanOut(nodes, async (node) => {
      const response = await client.unary(method as typeof machine.MachineServiceService.etcdAlarmList, {}, node);
      const records = response.messages.flatMap((message) => {
        const from = api.messageNode(message.metadata, node);
        return message.memberAlarms.map((a): EtcdAlarmRecord => ({
          node: from, memberId: view.formatMemberId(a.memberId), alarm: machine.etcdMemberAlarm_AlarmTypeToJSON(a.alarm),
        }));
      });
      if (format === undefined && records.length > 0) {
        table ??= new QuietFlushTable(ctx.out, view.ALARMS_HEADER);
        table.add(records.map(view.alarmRow));
      }
      return records;
    }).finally(() => table?.end()),
  );
  if (format) {
    const {writeStructured} = await import('../../../output/structured.js');
    writeStructured(format, ctx.out, results.flatMap((r) => r.value ?? []));
  }
  ctx.reportNodeErrors(results);
  return results;
}
