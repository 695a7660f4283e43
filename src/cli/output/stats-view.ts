// `stats` as talosctl prints it: NODE NAMESPACE ID MEMORY(MB) CPU, each node's rows sorted by id
// (byte order), `└─ ` before a container under its pod, memory as %.2f of bytes × 10^-6, CPU in
// nanoseconds; one tabwriter flush at the end, the header even when there are no rows.
import {compareBytes} from './containers-view.js';
import {goFixed} from './go-float.js';
import {renderTable} from './table.js';

export interface StatRecord {
  node: string;
  namespace: string;
  id: string;
  podId: string;
  name: string;
  /** Bytes. */
  memoryUsage: bigint;
  /** Nanoseconds of CPU time. */
  cpuUsage: bigint;
}

export const STATS_HEADER = ['NODE', 'NAMESPACE', 'ID', 'MEMORY(MB)', 'CPU'];

export function sortedStats(stats: readonly StatRecord[]): StatRecord[] {
  return [...stats].sort((a, b) => compareBytes(a.id, b.id));
}

/** Go's %.2f of float64(bytes)*1e-6. */
export function megabytes(bytes: bigint): string {
  return goFixed(Number(bytes) * 1e-6, 2);
}

export function statsRows(stats: readonly StatRecord[]): string[][] {
  return sortedStats(stats).map((s) => [s.node, s.namespace, s.id === s.podId ? s.id : `\u2514\u2500 ${s.id}`, megabytes(s.memoryUsage), String(s.cpuUsage)]);
}

/** One list per node answer, in the order they arrived. */
export function renderStats(answers: readonly (readonly StatRecord[])[]): string {
  return renderTable(STATS_HEADER, answers.flatMap(statsRows));
}
