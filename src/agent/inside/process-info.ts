// The node's processes as Talos's Processes reports them (miniprocfs): for each process its
// /proc/<pid>/stat numbers, the executable (the `exe` link), the command (`comm`) and the
// arguments (`cmdline`, NULs as spaces). A process whose `exe` cannot be read is left out, as Talos
// leaves it out: kernel threads and zombies have none, and without privileges other users'
// processes hide theirs.
import {readFile, readlink} from 'node:fs/promises';
import type {ProcessInfo} from '../../machinery/api/machine/machine.js';
import {BoundedWork, LATE} from './bounded-work.js';
import type {NodeInside} from './node-inside.js';
import {nodeProcesses, pageSize, PROC, USER_HZ, type ProcStat} from './proc.js';

/** miniprocfs reads a cmdline into a 16 KiB buffer: longer argument lists are cut there. */
const MAX_CMDLINE = 16 * 1024;

/** The arguments as Talos sends them: trailing NULs dropped, the others as spaces. */
export function cmdlineArgs(raw: Buffer): string {
  let end = Math.min(raw.length, MAX_CMDLINE);
  while (end > 0 && raw[end - 1] === 0) end--;
  return raw.toString('utf8', 0, end).replaceAll('\0', ' ');
}

export function processInfo(stat: ProcStat, executable: string, args: string, page: number): ProcessInfo {
  return {
    pid: stat.pid,
    ppid: stat.ppid,
    state: stat.state,
    threads: stat.threads,
    cpuTime: (stat.utime + stat.stime) / USER_HZ,
    virtualMemory: BigInt(stat.vsize),
    residentMemory: BigInt(stat.rss) * BigInt(page),
    command: stat.comm.trim(),
    executable,
    args,
  };
}

/** How long a process's cmdline may take: reading it waits for the process's memory map lock. */
const CMDLINE_DEADLINE_MS = 1000;

/** cmdline reads under way, by process (pid and start time: a pid may be reused meanwhile). */
const cmdlineReads = new BoundedWork<string, Buffer | undefined>();

/** Reads a process's cmdline (undefined when it has gone); tests put a slow one in its place. */
export type CmdlineReader = (pid: number) => Promise<Buffer | undefined>;

const readCmdline: CmdlineReader = (pid) => readFile(`${PROC}/${pid}/cmdline`).catch(() => undefined);

/**
 * The processes the node owns (NodeInside.scope), each read now; one that ended meanwhile is left
 * out. One whose arguments cannot be read within the deadline (its memory map is locked: a task
 * stuck in a page fault) is shown without them: it is what an operator looks for, and waiting
 * would hold a pool thread and the call.
 */
export async function nodeProcessInfos(
  inside: Pick<NodeInside, 'scope' | 'pid'>,
  {reader = readCmdline, deadlineMs = CMDLINE_DEADLINE_MS}: {reader?: CmdlineReader; deadlineMs?: number} = {},
): Promise<ProcessInfo[]> {
  const [stats, page] = await Promise.all([nodeProcesses(inside), pageSize()]);
  const infos = await Promise.all(
    stats.map(async (stat) => {
      const [executable, cmdline] = await Promise.all([
        readlink(`${PROC}/${stat.pid}/exe`).catch(() => undefined),
        cmdlineReads.run(`${stat.pid}:${stat.starttime}`, () => reader(stat.pid), deadlineMs),
      ]);
      if (executable === undefined || cmdline === undefined) return undefined;
      return processInfo(stat, executable, cmdline === LATE ? '' : cmdlineArgs(cmdline), page);
    }),
  );
  return infos.filter((info): info is ProcessInfo => info !== undefined);
}
