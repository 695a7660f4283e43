// Tables laid out as talosctl's Go tabwriter does them (minwidth 0, tabwidth 0, padding 3, padchar
// ' ', no flags), byte for byte:
// - a row is its cells joined by tabs, ending in a newline; a tab or newline inside a value is a
//   cell or line break there too, as it is when talosctl prints the value into its tabwriter;
// - every cell but a line's last is padded to its column's width: the widest cell of the column
//   block (the run of adjacent lines that have that column) plus 3, counted in code points, so an
//   empty cell still takes 3 spaces and an empty last column leaves the padding of the one before;
// - a line's last cell is printed as it is, trailing blanks included.

import type {Sink} from './types.js';

const COLUMN_GAP = 3;

/**
 * Renders a header line (none when `headers` is empty) and the rows, each line ending in "\n".
 * Widths are computed over exactly these lines, as one tabwriter flush does.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const rowsWithHeader = headers.length > 0 ? [headers, ...rows] : rows;
  if (rowsWithHeader.length === 0) return '';
  // \v ends a cell and \f a line for tabwriter as \t and \n do.
  const text = rowsWithHeader.map((cells) => `${cells.join('\t')}\n`).join('').replace(/\v/g, '\t').replace(/\f/g, '\n');
  const lines = text.slice(0, -1).split('\n').map((line) => line.split('\t'));
  const out: string[] = [];
  layOut(lines, [], 0, lines.length, out);
  return out.map((line) => `${line}\n`).join('');
}

/** Go's tabwriter counts a cell's width in code points (utf8.RuneCount), not display columns. */
function cellWidth(cell: string): number {
  let count = 0;
  for (const _ of cell) count++;
  return count;
}

/**
 * Lays out lines [from, to) whose columns left of `widths.length` have those widths: each block of
 * adjacent lines that have a cell in the next column gets that column's width, recursively.
 */
function layOut(lines: string[][], widths: number[], from: number, to: number, out: string[]): void {
  const column = widths.length;
  let pending = from;
  let i = from;
  while (i < to) {
    // The last cell of a line is not in a column.
    if (lines[i].length - 1 <= column) {
      i++;
      continue;
    }
    writeLines(lines, widths, pending, i, out);
    const blockStart = i;
    let width = 0;
    for (; i < to && lines[i].length - 1 > column; i++) width = Math.max(width, cellWidth(lines[i][column]) + COLUMN_GAP);
    layOut(lines, [...widths, width], blockStart, i, out);
    pending = i;
  }
  writeLines(lines, widths, pending, to, out);
}

function writeLines(lines: string[][], widths: number[], from: number, to: number, out: string[]): void {
  for (let i = from; i < to; i++) {
    const cells = lines[i];
    out.push(cells.map((cell, j) => (j < cells.length - 1 ? cell + ' '.repeat(widths[j] - cellWidth(cell)) : cell)).join(''));
  }
}

/**
 * A table printed in tabwriter flushes: rows wait for `flush`, the header goes out with the first
 * flush (so it is aligned with the first rows), and each flush is aligned on its own.
 */
export class TableBlocks {
  /** printed by the next flush that has anything to print; none after that */
  header: readonly string[] = [];
  private rows: string[][] = [];

  constructor(private readonly sink: Sink) {}

  add(rows: readonly string[][]): void {
    this.rows.push(...rows);
  }

  flush(): void {
    if (this.header.length === 0 && this.rows.length === 0) return;
    this.sink.write(renderTable(this.header, this.rows));
    this.header = [];
    this.rows = [];
  }
}
