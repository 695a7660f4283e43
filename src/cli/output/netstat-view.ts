// `netstat` as talosctl prints it: Proto Recv-Q Send-Q "Local Address" "Foreign Address" State,
// then Uid Inode (-x), PID/Program name (-p), Pod (-k), Timer (-o); one tabwriter flush at the end.
// NODE leads every row; the header is printed only when some node has a socket to show. A process
// name is whatever the process set (prctl): its control characters are written escaped.
import {escapeControls} from '../quote.js';
import {goFixed} from './go-float.js';
import {renderTable} from './table.js';

export interface SocketRecord {
  node: string;
  l4proto: string;
  localip: string;
  localport: number;
  remoteip: string;
  remoteport: number;
  /** ConnectRecord.State's name (LISTEN, ESTABLISHED, CLOSE, …). */
  state: string;
  txqueue: number;
  rxqueue: number;
  /** ConnectRecord.TimerActive's name (OFF, ON, KEEPALIVE, TIMEWAIT, PROBE). */
  timer: string;
  timerwhen: number;
  retrnsmt: number;
  uid: number;
  timeout: number;
  inode: number;
  process: {pid: number; name: string};
  netns: string;
}

export interface NetstatColumns {
  extend: boolean;
  programs: boolean;
  pods: boolean;
  timers: boolean;
}

export function netstatHeader(columns: NetstatColumns): string[] {
  return [
    'NODE', 'Proto', 'Recv-Q', 'Send-Q', 'Local Address', 'Foreign Address', 'State',
    ...(columns.extend ? ['Uid', 'Inode'] : []),
    ...(columns.programs ? ['PID/Program name'] : []),
    ...(columns.pods ? ['Pod'] : []),
    ...(columns.timers ? ['Timer'] : []),
  ];
}

/** `podOf`: the pod name of a network namespace on a node (talosctl's -k map); osd reports none. */
export function netstatRow(record: SocketRecord, columns: NetstatColumns, podOf: (node: string, netns: string) => string | undefined = () => undefined): string[] {
  return [
    record.node,
    record.l4proto,
    String(record.rxqueue),
    String(record.txqueue),
    `${record.localip}:${record.localport}`,
    `${record.remoteip}:${record.remoteport === 0 ? '*' : record.remoteport}`,
    // CLOSE (7) is what unconnected UDP and raw sockets report: talosctl leaves it blank.
    record.state === 'CLOSE' ? '' : record.state,
    ...(columns.extend ? [String(record.uid), String(record.inode)] : []),
    ...(columns.programs ? [record.process.pid !== 0 ? `${record.process.pid}/${escapeControls(record.process.name)}` : '-'] : []),
    ...(columns.pods ? [(record.netns === '' ? undefined : podOf(record.node, record.netns)) ?? '-'] : []),
    ...(columns.timers ? [`${record.timer.toLowerCase()} (${goFixed(record.timerwhen / 100, 2)}/${record.retrnsmt}/${record.timeout})`] : []),
  ];
}

export function renderNetstat(records: readonly SocketRecord[], columns: NetstatColumns): string {
  if (records.length === 0) return '';
  return renderTable(netstatHeader(columns), records.map((record) => netstatRow(record, columns)));
}
