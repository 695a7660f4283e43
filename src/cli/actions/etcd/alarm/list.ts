import type EtcdAlarmListCommand from '../../../commands/etcd/alarm/list.js';
import type {InvocationOf} from '../../../base-command.js';
import type {NodeResult} from '../../../fanout.js';
import type {EtcdAlarmRecord} from '../../../output/etcd-view.js';
import type {RunContext} from '../../../runtime.js';
import {printAlarms} from './disarm.js';

/** talosctl's `etcd alarm list`: EtcdAlarmList per node; the header only with the first alarm. */
export default async function etcdAlarmList({flags}: InvocationOf<typeof EtcdAlarmListCommand>, ctx: RunContext): Promise<NodeResult<EtcdAlarmRecord[]>[]> {
  return printAlarms(flags, ctx, 'list');
}
