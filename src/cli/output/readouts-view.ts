// The node readouts as talosctl prints them (ctl/processes.go, memory.go, mounts.go, dmesg.go):
// tables in tabwriter layout, flushed after 500 ms of quiet (QuietFlushTable), and the plain
// records `-o json|yaml` prints. Printers take plain data only.
import {escapeControls} from '../quote.js';
import {humanizeBytes} from './humanize.js';
import {goFixed} from './go-float.js';

export interface ProcessRecord {
  node: string;
  pid: number;
  ppid: number;
  state: string;
  threads: number;
  /** seconds of user plus system time */
  cpuTime: number;
  /** bytes */
  virtualMemory: bigint;
  /** bytes */
  residentMemory: bigint;
  command: string;
  executable: string;
  args: string;
}

/** /proc/meminfo's numbers as the node sends them: kB (HugePages_* are counts). */
export interface MemoryRecord {
  node: string;
  meminfo: Record<string, bigint>;
}

export interface MountRecord {
  node: string;
  filesystem: string;
  /** bytes */
  size: bigint;
  /** bytes available to unprivileged users */
  available: bigint;
  mountedOn: string;
}

export type ProcessSort = 'rss' | 'cpu';

/**
 * talosctl's LABEL column is the SELinux label of a newer ProcessInfo field, which our protocol
 * does not carry (and osd's hosts have no SELinux label to report): it stays empty, as talosctl
 * shows it for a node without SELinux.
 */
export const PROCESSES_HEADER = ['NODE', 'PID', 'STATE', 'THREADS', 'CPU-TIME', 'VIRTMEM', 'RESMEM', 'LABEL', 'COMMAND'];

/** Descending by resident memory or by CPU time. Go's sort.Sort is not stable; ties keep the node's order here. */
export function sortProcesses(processes: readonly ProcessRecord[], by: ProcessSort): ProcessRecord[] {
  const key = by === 'cpu' ? (p: ProcessRecord) => p.cpuTime : (p: ProcessRecord) => Number(p.residentMemory);
  return [...processes].sort((a, b) => key(b) - key(a));
}

/**
 * The COMMAND column: the arguments with the executable's full path in place of the first one
 * when that names the same program; the command name for a process without an executable; and
 * every character outside printable ASCII shown as a space.
 */
export function processCommandLine(p: Pick<ProcessRecord, 'command' | 'executable' | 'args'>): string {
  let text: string;
  const firstArg = goFields(p.args)[0];
  if (p.executable === '') text = p.command;
  else if (firstArg !== undefined && firstArg === goBase(goFields(p.executable)[0] ?? '')) text = p.args.replace(firstArg, () => p.executable); // a function: `$&` or `$'` in a path are not patterns
  else text = p.args;
  let printable = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    printable += code < 32 || code > 126 ? ' ' : char;
  }
  return printable;
}

/** Go's strings.Fields: split around runs of Unicode white space. */
function goFields(text: string): string[] {
  return text.split(/[\s\u0085]+/u).filter(Boolean);
}

/** Go's filepath.Base. */
function goBase(path: string): string {
  if (path === '') return '.';
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

export function processRows(processes: readonly ProcessRecord[], by: ProcessSort): string[][] {
  return sortProcesses(processes, by).map((p) => [
    p.node, String(p.pid), p.state, String(p.threads), goFixed(p.cpuTime, 2),
    humanizeBytes(p.virtualMemory), humanizeBytes(p.residentMemory), '', processCommandLine(p),
  ]);
}

export const MEMORY_HEADER = ['NODE', 'TOTAL', 'USED', 'FREE', 'SHARED', 'BUFFERS', 'CACHE', 'AVAILABLE'];

const U64 = (value: bigint) => BigInt.asUintN(64, value);

/** MB (kB / 1024, truncated); USED is total − free − cached − buffers, in uint64 as Go computes it. */
export function memoryRow({node, meminfo: m}: MemoryRecord): string[] {
  const mb = (kB: bigint) => String(kB / 1024n);
  const v = (name: string) => m[name] ?? 0n;
  const used = U64(v('memtotal') - v('memfree') - v('cached') - v('buffers'));
  return [node, mb(v('memtotal')), mb(used), mb(v('memfree')), mb(v('shmem')), mb(v('buffers')), mb(v('cached')), mb(v('memavailable'))];
}

/** `memory -v`: /proc/meminfo's names and order as talosctl prints them; the HugePages counts have no unit. */
const VERBOSE_MEMORY: Array<[label: string, field: string, unit: boolean]> = [
  ['MemTotal', 'memtotal', true], ['MemFree', 'memfree', true], ['MemAvailable', 'memavailable', true],
  ['Buffers', 'buffers', true], ['Cached', 'cached', true], ['SwapCached', 'swapcached', true], ['Active', 'active', true],
  ['Inactive', 'inactive', true], ['ActiveAnon', 'activeanon', true], ['InactiveAnon', 'inactiveanon', true],
  ['ActiveFile', 'activefile', true], ['InactiveFile', 'inactivefile', true], ['Unevictable', 'unevictable', true],
  ['Mlocked', 'mlocked', true], ['SwapTotal', 'swaptotal', true], ['SwapFree', 'swapfree', true], ['Dirty', 'dirty', true],
  ['Writeback', 'writeback', true], ['AnonPages', 'anonpages', true], ['Mapped', 'mapped', true], ['Shmem', 'shmem', true],
  ['Slab', 'slab', true], ['SReclaimable', 'sreclaimable', true], ['SUnreclaim', 'sunreclaim', true],
  ['KernelStack', 'kernelstack', true], ['PageTables', 'pagetables', true], ['NFSUnstable', 'nfsunstable', true],
  ['Bounce', 'bounce', true], ['WritebackTmp', 'writebacktmp', true], ['CommitLimit', 'commitlimit', true],
  ['CommittedAS', 'committedas', true], ['VmallocTotal', 'vmalloctotal', true], ['VmallocUsed', 'vmallocused', true],
  ['VmallocChunk', 'vmallocchunk', true], ['HardwareCorrupted', 'hardwarecorrupted', true],
  ['AnonHugePages', 'anonhugepages', true], ['ShmemHugePages', 'shmemhugepages', true],
  ['ShmemPmdMapped', 'shmempmdmapped', true], ['CmaTotal', 'cmatotal', true], ['CmaFree', 'cmafree', true],
  ['HugePagesTotal', 'hugepagestotal', false], ['HugePagesFree', 'hugepagesfree', false],
  ['HugePagesRsvd', 'hugepagesrsvd', false], ['HugePagesSurp', 'hugepagessurp', false],
  ['Hugepagesize', 'hugepagesize', true], ['DirectMap4k', 'directmap4k', true], ['DirectMap2M', 'directmap2m', true],
  ['DirectMap1G', 'directmap1g', true],
];

export function memoryVerbose({node, meminfo}: MemoryRecord): string {
  let text = `NODE: ${node}\n`;
  for (const [label, field, unit] of VERBOSE_MEMORY) text += `${label}: ${meminfo[field] ?? 0n}${unit ? ' kB' : ''}\n`;
  return text;
}

export const MOUNTS_HEADER = ['NODE', 'FILESYSTEM', 'SIZE(GB)', 'USED(GB)', 'AVAILABLE(GB)', 'PERCENT USED', 'MOUNTED ON'];

/** A mount's row; none for a filesystem of size 0 (talosctl skips the NaN percentage). */
export function mountRow(m: MountRecord): string[] | undefined {
  const size = Number(m.size);
  const available = Number(m.available);
  const percent = 100 - 100 * (available / size);
  if (Number.isNaN(percent)) return undefined;
  const gb = (bytes: number) => goFixed(bytes * 1e-9, 2);
  // The node sends the real names (the kernel's \040 escapes decoded): a newline in one must not break the table.
  return [m.node, escapeControls(m.filesystem), gb(size), gb(Number(U64(m.size - m.available))), gb(available), `${goFloat2(percent)}%`, escapeControls(m.mountedOn)];
}

/** Go's %.02f, infinities included. */
function goFloat2(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return goFixed(value, 2);
}

/** A dmesg record as `-o json|yaml` prints it, read back from the line the node formats. */
export interface DmesgRecord {
  node: string;
  facility: string;
  priority: string;
  /** RFC 3339 with up to nanoseconds, as the node writes it */
  time: string;
  /** the text, continuation lines included, without the final newline */
  message: string;
}

const DMESG_LINE = /^([^:\s]+): +([^:\s]+): \[([^\]]*)\]: ([\s\S]*?)\n?$/;

export function parseDmesgLine(node: string, bytes: Uint8Array): DmesgRecord {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const match = DMESG_LINE.exec(text);
  if (!match) return {node, facility: '', priority: '', time: '', message: text.replace(/\n$/, '')};
  return {node, facility: match[1], priority: match[2], time: match[3], message: match[4]};
}
