// The kernel's socket tables (/proc/net/{tcp,tcp6,udp,udp6,udplite,udplite6,raw,raw6}) as Talos's
// Netstat reads them (its go-netstat): one entry per line, tables in that order, lines in the
// kernel's order; which process holds a socket comes from the socket inodes in /proc/<pid>/fd.
import {readdir, readFile, readlink} from 'node:fs/promises';
import {PROC, type ProcStat} from './proc.js';
import {goIpText} from '../net.js';

/** The tables, named as Talos names a record's transport (the file's name). */
export const SOCKET_TABLES = ['tcp', 'tcp6', 'udp', 'udp6', 'udplite', 'udplite6', 'raw', 'raw6'] as const;
export type SocketTable = (typeof SOCKET_TABLES)[number];

export interface SocketEntry {
  transport: SocketTable;
  /** Go's net.IP.String() of the address (an IPv4-mapped IPv6 address prints as IPv4). */
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
  /** The remote address is 0.0.0.0 or :: (Go's IsUnspecified). */
  remoteUnspecified: boolean;
  /** The kernel's TCP state number (1 ESTABLISHED … 10 LISTEN, 11 CLOSING); 7 (CLOSE) for unconnected UDP and raw. */
  state: number;
  txQueue: bigint;
  rxQueue: bigint;
  timerActive: number;
  /** Jiffies until the timer expires. */
  timerWhen: bigint;
  retransmits: bigint;
  uid: number;
  timeout: bigint;
  inode: bigint;
  ref: bigint;
  pointer: bigint;
}

export class SocketTableError extends Error {}

/**
 * One table's text parsed. The header line is skipped; a line that does not have the fields
 * Talos reads is an error naming the table and the line, as go-netstat fails on it.
 */
export function parseSocketTable(text: string, transport: SocketTable): SocketEntry[] {
  const entries: SocketEntry[] = [];
  const lines = text.split('\n');
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '') continue;
    const entry = parseSocketLine(line, transport);
    if (entry === undefined) throw new SocketTableError(`cannot parse line ${n + 1} of /proc/net/${transport}: ${JSON.stringify(line.slice(0, 200))}`);
    entries.push(entry);
  }
  return entries;
}

// `sl: local remote st tx:rx tr:when retrnsmt uid timeout inode ref pointer …` (tcp, udp and raw alike).
const HEX = /^[0-9A-Fa-f]+$/;
const DEC = /^[0-9]+$/;

function parseSocketLine(line: string, transport: SocketTable): SocketEntry | undefined {
  const fields = line.split(/\s+/);
  if (fields.length < 12 || !/^[0-9]+:$/.test(fields[0])) return undefined;
  const [, local, remote, state, queues, timer, retransmits, uid, timeout, inode, ref, pointer] = fields;
  const localEnd = parseEndpoint(local);
  const remoteEnd = parseEndpoint(remote);
  const [tx, rx] = queues.split(':');
  const [timerActive, timerWhen] = timer.split(':');
  if (localEnd === undefined || remoteEnd === undefined) return undefined;
  if (![state, tx, rx, timerWhen, retransmits, pointer].every((value) => value !== undefined && HEX.test(value))) return undefined;
  if (![timerActive, uid, timeout, inode, ref].every((value) => value !== undefined && DEC.test(value))) return undefined;
  return {
    transport,
    localIp: localEnd.ip,
    localPort: localEnd.port,
    remoteIp: remoteEnd.ip,
    remotePort: remoteEnd.port,
    remoteUnspecified: remoteEnd.unspecified,
    state: parseInt(state, 16),
    txQueue: BigInt(`0x${tx}`),
    rxQueue: BigInt(`0x${rx}`),
    timerActive: Number(timerActive),
    timerWhen: BigInt(`0x${timerWhen}`),
    retransmits: BigInt(`0x${retransmits}`),
    uid: Number(uid),
    timeout: BigInt(timeout),
    inode: BigInt(inode),
    ref: BigInt(ref),
    pointer: BigInt(`0x${pointer}`),
  };
}

/** `0100007F:C350` (IPv4) or 32 hex digits (IPv6), each 32-bit word in host (little-endian) order. */
function parseEndpoint(text: string): {ip: string; port: number; unspecified: boolean} | undefined {
  const [address, port] = text.split(':');
  if (address === undefined || port === undefined || !HEX.test(address) || !HEX.test(port) || port.length > 4) return undefined;
  if (address.length !== 8 && address.length !== 32) return undefined;
  const bytes = wordsToBytes(address);
  const v4 = bytes.length === 4 ? bytes : isV4MappedPrefix(bytes) ? bytes.subarray(12) : undefined;
  const unspecified = (v4 ?? bytes).every((byte) => byte === 0);
  return {ip: formatGoIp(bytes), port: parseInt(port, 16), unspecified};
}

function wordsToBytes(hex: string): Buffer {
  const bytes = Buffer.alloc(hex.length / 2);
  for (let word = 0; word < hex.length / 8; word++) bytes.writeUInt32LE(parseInt(hex.slice(word * 8, word * 8 + 8), 16), word * 4);
  return bytes;
}

function isV4MappedPrefix(bytes: Buffer): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** Go's net.IP.String() (an IPv4-mapped address as a dotted quad). */
export function formatGoIp(bytes: Uint8Array): string {
  return goIpText(bytes, 'net.IP');
}

/** A table of the host's network namespace; a table the kernel does not have (no IPv6, no UDP-Lite) is empty. */
export async function readSocketTable(transport: SocketTable, proc = PROC): Promise<SocketEntry[]> {
  let text: string;
  try {
    text = await readFile(`${proc}/net/${transport}`, 'utf8');
  } catch (error) {
    // go-netstat drops a table it cannot open, the others still count.
    if (['ENOENT', 'EACCES', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) return [];
    throw error;
  }
  return parseSocketTable(text, transport);
}

export interface SocketOwner {
  pid: number;
  /** The process's comm (as /proc/<pid>/stat has it). */
  name: string;
}

/**
 * Socket inode → the process holding it, over the given processes (their /proc/<pid>/fd links
 * `socket:[<inode>]`). Processes whose fds cannot be read (another user's, gone) are skipped.
 * When several hold one socket, the lowest PID wins, so the answer does not depend on timing.
 */
export async function socketOwners(processes: readonly Pick<ProcStat, 'pid' | 'comm'>[], proc = PROC): Promise<Map<bigint, SocketOwner>> {
  const owners = new Map<bigint, SocketOwner>();
  const sorted = [...processes].sort((a, b) => a.pid - b.pid);
  // In batches: a host has thousands of processes, each readdir and readlink goes to the threadpool.
  const BATCH = 32;
  for (let start = 0; start < sorted.length; start += BATCH) {
    const batch = sorted.slice(start, start + BATCH);
    const inodes = await Promise.all(batch.map((process) => processSocketInodes(process.pid, proc)));
    batch.forEach((process, i) => {
      for (const inode of inodes[i]) if (!owners.has(inode)) owners.set(inode, {pid: process.pid, name: process.comm});
    });
  }
  return owners;
}

async function processSocketInodes(pid: number, proc: string): Promise<bigint[]> {
  let fds: string[];
  try {
    fds = await readdir(`${proc}/${pid}/fd`);
  } catch {
    return [];
  }
  const links = await Promise.all(fds.map((fd) => readlink(`${proc}/${pid}/fd/${fd}`).catch(() => '')));
  const inodes: bigint[] = [];
  for (const link of links) {
    const match = /^socket:\[([0-9]+)\]$/.exec(link);
    if (match) inodes.push(BigInt(match[1]));
  }
  return inodes;
}
