// Tables laid out as talosctl's Go tabwriter lays them out (minwidth 0, padding 3, padchar ' ', no
// flags), with cli-table3 doing the column layout:
// - every cell but a row's last is padded to its column's width, the widest cell plus 3 spaces;
// - a row's last cell is printed as it is: an empty last cell leaves the padding before it, a
//   value's trailing blanks stay (cli-table3 would pad the last column too, so it lays out only the
//   others).
// Known differences from tabwriter, none of which our values reach: cli-table3 measures display
// columns (Go counts code points, so CJK text aligns differently), and it would draw a value with a
// newline as a multi-line cell (osctl escapes control characters in what it prints from a node).
import Table from 'cli-table3';
import type {Sink} from './types.js';

const COLUMN_GAP = 3;

const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
};

/**
 * Renders a header line (none when `headers` is empty) and the rows, each line ending in "\n".
 * Widths are computed over exactly these lines, as one tabwriter flush does.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = headers.length > 0 ? [headers, ...rows] : rows;
  if (lines.length === 0) return '';
  const columns = Math.max(...lines.map((line) => line.length));
  if (columns <= 1) return lines.map((line) => `${line[0] ?? ''}\n`).join('');
  const table = new Table({chars: NO_BORDERS, style: {head: [], border: [], 'padding-left': 0, 'padding-right': COLUMN_GAP}});
  // Every line gets every column (tabwriter's missing cells are empty ones); all but the last go to cli-table3.
  const full = lines.map((line) => Array.from({length: columns}, (_, i) => line[i] ?? ''));
  table.push(...full.map((line) => line.slice(0, -1)));
  const laidOut = table.toString().split('\n');
  return full.map((line, i) => `${laidOut[i]}${line[columns - 1]}\n`).join('');
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

/**
 * talosctl's flush timer (500 ms in containers, memory, mounts, processes): rows are added as each
 * node answers, and what has been added is printed once output has been quiet for `quietMs`, the
 * header with the first block; `end` prints the rest. Each block is aligned on its own.
 */
export class QuietFlushTable {
  private readonly blocks: TableBlocks;
  private timer: NodeJS.Timeout | undefined;

  constructor(sink: Sink, header: readonly string[], private readonly quietMs = 500) {
    this.blocks = new TableBlocks(sink);
    this.blocks.header = header;
  }

  add(rows: readonly string[][]): void {
    this.blocks.add(rows);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.blocks.flush(), this.quietMs);
  }

  end(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.blocks.flush();
  }
}
