// `logs` output: every node's chunks cut into whole lines, each printed as `<node>: <line>` as soon
// as it is complete, so nodes interleave line by line and a line is never split across chunks.
// Bytes, not text: a chunk may end inside a UTF-8 sequence, and lines are printed verbatim (a CR
// stays). What is left without a final newline is printed at the end, nodes in sorted order, as
// talosctl does.
import {compareBytes} from './containers-view.js';
import type {ByteWriter} from './stdio.js';

const NEWLINE = 0x0a;
const NEWLINE_BYTES = Buffer.from('\n');

/**
 * The longest unfinished line kept per node (a service's whole log buffer is about this size).
 * A followed log that never writes a newline would otherwise grow without end: past this, what
 * is held is printed as a line of its own.
 */
export const MAX_PENDING_LINE = 1 << 20;

/** Where the lines go; `write` returns false when the reader is behind (stdout's contract). */
export type {ByteWriter} from './stdio.js';

export class NodeLinePrinter {
  /** per node, the pieces of its unfinished line (kept as pieces: a long line costs no re-copying) */
  private readonly partial = new Map<string, Buffer[]>();
  private readonly pendingBytes = new Map<string, number>();

  /**
   * @param keepLine decides per complete line (without its newline) whether it is printed;
   *   `--since` filters with it.
   */
  constructor(private readonly out: ByteWriter, private readonly keepLine: (line: Buffer) => boolean = () => true) {}

  /** Prints the complete lines `chunk` finishes; false when the writer asked to wait for it to drain. */
  push(node: string, chunk: Uint8Array): boolean {
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const pending = this.partial.get(node) ?? [];
    const lastNewline = data.lastIndexOf(NEWLINE);
    if (lastNewline === -1) {
      if (data.length === 0) return true;
      // A copy: the caller may reuse the chunk's memory.
      pending.push(Buffer.from(data));
      const size = (this.pendingBytes.get(node) ?? 0) + data.length;
      if (size < MAX_PENDING_LINE) {
        this.partial.set(node, pending);
        this.pendingBytes.set(node, size);
        return true;
      }
      this.forget(node);
      const line = Buffer.concat(pending);
      return !this.keepLine(line) || this.out.write(Buffer.concat([Buffer.from(`${node}: `), line, NEWLINE_BYTES]));
    }
    const rest = data.subarray(lastNewline + 1);
    this.forget(node);
    if (rest.length > 0) {
      this.partial.set(node, [Buffer.from(rest)]);
      this.pendingBytes.set(node, rest.length);
    }
    const prefix = Buffer.from(`${node}: `);
    const pieces: Buffer[] = [];
    let start = 0;
    let first = true;
    while (start <= lastNewline) {
      const end = data.indexOf(NEWLINE, start);
      const line = first && pending.length > 0 ? Buffer.concat([...pending, data.subarray(start, end)]) : data.subarray(start, end);
      first = false;
      if (this.keepLine(line)) pieces.push(prefix, line, NEWLINE_BYTES);
      start = end + 1;
    }
    if (pieces.length === 0) return true;
    return this.out.write(Buffer.concat(pieces));
  }

  /** The unfinished last lines, one per node in byte order of the node names; each gets a newline. */
  flushLeftovers(): boolean {
    const nodes = [...this.partial.keys()].sort(compareBytes);
    const pieces: Buffer[] = [];
    for (const node of nodes) {
      const line = Buffer.concat(this.partial.get(node)!);
      if (this.keepLine(line)) pieces.push(Buffer.from(`${node}: `), line, NEWLINE_BYTES);
    }
    this.partial.clear();
    this.pendingBytes.clear();
    return pieces.length === 0 || this.out.write(Buffer.concat(pieces));
  }

  private forget(node: string): void {
    this.partial.delete(node);
    this.pendingBytes.delete(node);
  }
}

/**
 * The timestamp a CRI log line starts with (`<RFC3339Nano> <stream> <P|F> <text>`), in ms since
 * the epoch, or undefined when the line does not start with one.
 */
export function criLineTime(line: Buffer): number | undefined {
  const space = line.indexOf(0x20);
  if (space <= 0 || space > 40) return undefined;
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(line.toString('latin1', 0, space));
  if (!match) return undefined;
  // Date.parse takes at most milliseconds; the nanoseconds below them don't matter for --since.
  const ms = Date.parse(`${match[1]}${(match[2] ?? '').slice(0, 4)}${match[3]}`);
  return Number.isNaN(ms) ? undefined : ms;
}
