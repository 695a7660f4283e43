// What a container uses, from /proc: osd runs each service and each container as a process that
// leads its own process group (process groups stand in for cgroups), so a container is its leader,
// the leader's descendants and whatever else stayed in its group. Memory is their resident set
// (bytes), CPU their user + system time including children they have waited for (nanoseconds),
// which is what a cgroup's counters add up, short of processes that already ended unreaped.
import {pageSize, readAllProcStats, USER_HZ, type ProcStat} from './proc.js';

const NS_PER_TICK = BigInt(1e9 / USER_HZ);

export interface Usage {
  memoryBytes: bigint;
  cpuNs: bigint;
}

/** A snapshot of the host's processes, read once per request and shared by every container in it. */
export class ProcessSnapshot {
  private readonly byPid = new Map<number, ProcStat>();
  private readonly children = new Map<number, ProcStat[]>();
  private readonly groups = new Map<number, ProcStat[]>();

  constructor(
    stats: readonly ProcStat[],
    private readonly pageSize: number,
  ) {
    for (const stat of stats) {
      this.byPid.set(stat.pid, stat);
      push(this.children, stat.ppid, stat);
      push(this.groups, stat.pgrp, stat);
    }
  }

  static async read(): Promise<ProcessSnapshot> {
    const [stats, page] = await Promise.all([readAllProcStats(), pageSize()]);
    return new ProcessSnapshot(stats, page);
  }

  /** The usage of the container led by `leader`; undefined when that process is gone. */
  usage(leader: number): Usage | undefined {
    const top = this.byPid.get(leader);
    if (top === undefined) return undefined;
    const members = new Map<number, ProcStat>();
    const queue = [top, ...(this.groups.get(leader) ?? [])];
    while (queue.length > 0) {
      const stat = queue.pop()!;
      if (members.has(stat.pid)) continue;
      members.set(stat.pid, stat);
      queue.push(...(this.children.get(stat.pid) ?? []));
    }
    let pages = 0n;
    let ticks = 0n;
    for (const stat of members.values()) {
      pages += BigInt(stat.rss);
      ticks += BigInt(stat.utime + stat.stime + stat.cutime + stat.cstime);
    }
    return {memoryBytes: pages * BigInt(this.pageSize), cpuNs: ticks * NS_PER_TICK};
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
