// `containers` as talosctl prints it: NODE NAMESPACE ID IMAGE PID STATUS, each node's rows sorted
// by id in plain byte order (so `ns/web-10` comes between `ns/web-1` and its containers, as
// talosctl does it), `└─ ` before every container that belongs to a pod. Rows are shown in
// tabwriter blocks: a block is flushed after 500 ms without new rows, and rows that come later
// are aligned on their own, as talosctl's flush timer does.
import {TableBlocks} from './table.js';
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

/**
 * The table, written in blocks: `add` buffers a node response's rows and re-arms the 500 ms
 * quiet timer; when it fires, what is buffered (the header with the first block) is printed.
 * `end` prints the rest and stops the timer.
 */
export class ContainersTable {
  private readonly blocks: TableBlocks;
  private timer: NodeJS.Timeout | undefined;

  constructor(sink: Sink, private readonly quietMs = CONTAINERS_FLUSH_MS) {
    this.blocks = new TableBlocks(sink);
    this.blocks.header = CONTAINERS_HEADER;
  }

  add(containers: readonly ContainerRecord[]): void {
    this.blocks.add(containerRows(containers));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.blocks.flush(), this.quietMs);
  }

  end(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.blocks.flush();
  }
}
