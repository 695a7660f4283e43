// `containers` as talosctl prints it: NODE NAMESPACE ID IMAGE PID STATUS, each node's rows sorted
// by id in plain byte order (so `ns/web-10` comes between `ns/web-1` and its containers, as
// talosctl does it), `└─ ` before every container that belongs to a pod. Rows are shown in
// tabwriter blocks: a block is flushed after 500 ms without new rows, and rows that come later
// are aligned on their own, as talosctl's flush timer does.
import {QuietFlushTable} from './table.js';
import type {Sink} from './types.js';

export interface ContainerRecord {
  node: string;
  namespace: string;
  id: string;
  podId: string;
  name: string;
  image: string;
  pid: number;
  status: string;
  internalId: string;
  uid: string;
  networkNamespace: string;
}

export const CONTAINERS_HEADER = ['NODE', 'NAMESPACE', 'ID', 'IMAGE', 'PID', 'STATUS'];

/** How long output may stay quiet before the rows so far are printed. */
export const CONTAINERS_FLUSH_MS = 500;

const TREE_PREFIX = '\u2514\u2500 ';

/** Go's strings.Compare: UTF-8 byte order (code point order, not JavaScript's UTF-16 order). */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** One node response in talosctl's order: by id, in byte order. */
export function sortedById(containers: readonly ContainerRecord[]): ContainerRecord[] {
  return [...containers].sort((a, b) => compareBytes(a.id, b.id));
}

/** One node response's rows, sorted and drawn as the tree. */
export function containerRows(containers: readonly ContainerRecord[]): string[][] {
  return sortedById(containers).map((c) => [c.node, c.namespace, c.id === c.podId ? c.id : TREE_PREFIX + c.id, c.image, String(c.pid), c.status]);
}

/** The table, written in blocks as each node answers (QuietFlushTable: 500 ms of quiet flush a block). */
export class ContainersTable {
  private readonly table: QuietFlushTable;

  constructor(sink: Sink, quietMs = CONTAINERS_FLUSH_MS) {
    this.table = new QuietFlushTable(sink, CONTAINERS_HEADER, quietMs);
  }

  add(containers: readonly ContainerRecord[]): void {
    this.table.add(containerRows(containers));
  }

  end(): void {
    this.table.end();
  }
}
