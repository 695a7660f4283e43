// Tables laid out like talosctl's (Go tabwriter: minwidth 0, padding 3, no flags): every column
// is as wide as its widest cell plus 3 spaces, the last column is not padded, there are no borders.
import Table from 'cli-table3';

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
export function renderTable(headers: string[], rows: string[][]): string {
  const lines = headers.length > 0 ? [headers, ...rows] : rows;
  if (lines.length === 0) return '';
  const table = new Table({chars: NO_BORDERS, style: {head: [], border: [], 'padding-left': 0, 'padding-right': COLUMN_GAP}});
  table.push(...lines);
  // cli-table3 pads the last column too; tabwriter doesn't, and trailing blanks are noise in pipes.
  return table.toString().split('\n').map((line) => line.replace(/ +$/, '') + '\n').join('');
}
