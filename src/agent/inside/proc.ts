// The host's /proc, read without blocking osd for long: which processes exist, their parents, and
// which of them belong to the node (NodeInside.scope). Shared by Processes, Netstat and Stats.
import {readdir, readFile} from 'node:fs/promises';
import type {NodeInside} from './node-inside.js';

export const PROC = '/proc';

/** /proc counts CPU time in USER_HZ ticks, 100 per second on every Linux architecture (procfs assumes it too). */
export const USER_HZ = 100;

export interface ProcStat {
  pid: number;
  /** The `comm` field (at most 15 bytes, as the kernel keeps it). */
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  /** Clock ticks (sysconf(_SC_CLK_TCK), 100 on Linux). */
  utime: number;
  stime: number;
  /** Ticks of children this process has waited for (what a cgroup would still count). */
  cutime: number;
  cstime: number;
  threads: number;
  /** Ticks after boot. */
  starttime: number;
  vsize: number;
  /** Pages. */
  rss: number;
}

/** Every PID in /proc now (a process may be gone by the time it is read). */
export async function listPids(): Promise<number[]> {
  const names = await readdir(PROC);
  return names.filter((name) => /^[1-9][0-9]*$/.test(name)).map(Number);
}

/** /proc/<pid>/stat parsed; undefined when the process has gone. */
export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(`${PROC}/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}

/** The comm field is in parentheses and may itself hold spaces and parentheses: split at the last `)`. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = text.slice(close + 2).trim().split(' ');
  // fields[0] is field 3 of proc(5) (state).
  const field = (n: number): number => Number(fields[n - 3]);
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: fields[0] ?? '?',
    ppid: field(4),
    pgrp: field(5),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
    threads: field(20),
    starttime: field(22),
    vsize: field(23),
    rss: field(24),
  };
}

/** The stats of every process on the host now (one that ends meanwhile is left out). */
export async function readAllProcStats(): Promise<ProcStat[]> {
  return (await Promise.all((await listPids()).map(readProcStat))).filter((stat): stat is ProcStat => stat !== undefined);
}

let pageSizeBytes: number | undefined;

/** The page size /proc/<pid>/stat counts RSS in (Node has no sysconf): the kernel's, read once from our own smaps. */
export async function pageSize(): Promise<number> {
  if (pageSizeBytes === undefined) {
    const smaps = await readFile(`${PROC}/self/smaps`, 'utf8').catch(() => '');
    const kb = Number(/^KernelPageSize:\s+([0-9]+) kB$/m.exec(smaps)?.[1]);
    pageSizeBytes = kb > 0 ? kb * 1024 : 4096;
  }
  return pageSizeBytes;
}

/** The stats of every process the node owns: all of them for a host agent, else osd and its descendants. */
export async function nodeProcesses(inside: Pick<NodeInside, 'scope' | 'pid'>): Promise<ProcStat[]> {
  const stats = await readAllProcStats();
  if (inside.scope === 'host') return stats;
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) {
    const siblings = children.get(stat.ppid);
    if (siblings === undefined) children.set(stat.ppid, [stat]);
    else siblings.push(stat);
  }
  const owned: ProcStat[] = [];
  const top = stats.find((stat) => stat.pid === inside.pid);
  const queue = top === undefined ? [] : [top];
  while (queue.length > 0) {
    const stat = queue.shift()!;
    owned.push(stat);
    queue.push(...(children.get(stat.pid) ?? []));
  }
  return owned;
}
