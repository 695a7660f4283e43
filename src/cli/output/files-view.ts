// How talosctl prints files (`ls`, `usage`): Go's FileMode.String() and the
// LASTMOD column (talos-behaviour.md items 30–32; ctl/list.go, ctl/diskusage.go). Plain data in,
// text out; the node's names are escaped so they cannot drive the terminal or break a line.
import {humanizeBytes, timeFromNow} from './humanize.js';
import {escapeControls} from '../quote.js';

/** One entry of a listing, as osctl's -o json|yaml prints it. */
export interface FileRecord {
  node: string;
  name: string;
  relativeName: string;
  size: number;
  /** Go's FileMode.String(). */
  mode: string;
  uid: number;
  gid: number;
  /** RFC 3339, UTC. */
  modified: string;
  isDir: boolean;
  link?: string;
  /** The SELinux label, when the node sent one. */
  label?: string;
}

export interface UsageRecord {
  node: string;
  name: string;
  relativeName: string;
  size: number;
}

const MODE_LETTERS = 'dalTLDpSugct?';

/** Go's os.FileMode.String(): a letter per type/flag bit set (bits 31..19), or `-`, then rwxrwxrwx. */
export function goFileModeString(mode: number): string {
  let text = '';
  for (let i = 0; i < MODE_LETTERS.length; i++) if ((mode >>> (31 - i)) & 1) text += MODE_LETTERS[i];
  if (text === '') text = '-';
  const rwx = 'rwxrwxrwx';
  for (let i = 0; i < 9; i++) text += (mode >>> (8 - i)) & 1 ? rwx[i] : '-';
  return text;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SIX_MONTHS_MS = 6 * 30 * 24 * 3600 * 1000;

/** LASTMOD as talosctl writes it, in the local time zone: `Jan _2 15:04:05`, or `Jan _2 2006 15:04` when 180+ days old; -H: relative. */
export function lastModified(unixSeconds: number, humanize: boolean, now = new Date()): string {
  const time = new Date(unixSeconds * 1000);
  if (humanize) return timeFromNow(time, now);
  const two = (n: number) => String(n).padStart(2, '0');
  const day = `${MONTHS[time.getMonth()]} ${String(time.getDate()).padStart(2, ' ')}`;
  if (now.getTime() - time.getTime() < SIX_MONTHS_MS) return `${day} ${two(time.getHours())}:${two(time.getMinutes())}:${two(time.getSeconds())}`;
  return `${day} ${time.getFullYear()} ${two(time.getHours())}:${two(time.getMinutes())}`;
}

/** A name from a node, printable on one line. */
export function shownName(name: string): string {
  return escapeControls(name);
}

/** The `ls -l` row: NODE MODE UID GID SIZE(B) LASTMOD LABEL NAME. */
export function longRow(record: FileRecord, humanize: boolean, modified: number): string[] {
  return [
    record.node,
    record.mode,
    String(record.uid),
    String(record.gid),
    humanize ? humanizeBytes(record.size) : String(record.size),
    lastModified(modified, humanize),
    shownName(record.label ?? ''),
    shownName(record.relativeName) + (record.link ? ` -> ${shownName(record.link)}` : ''),
  ];
}

export const LONG_HEADER = ['NODE', 'MODE', 'UID', 'GID', 'SIZE(B)', 'LASTMOD', 'LABEL', 'NAME'];
