// Process groups as osd's stand-in for cgroups, for services (system/process-runner.ts) and
// containers (cri/process-runtime.ts) alike: asking whether a group still has live processes,
// killing the live groups when osd exits without stopping them, and records that let the next osd
// end the groups a killed osd left behind. A process group a service or container runs in survives
// osd's SIGKILL (it is its own session); osd's exit hook cannot run then, so each group is noted in
// a file while it lives, and osd kills what the files name when it starts again.
//
// Layout: one directory per kind (`<state>/run/services`, `<state>/run/containers`), one file per
// live group, named by the leader's PID and holding one line `<pid> <start time> <name>`: the
// leader's PID (= the group id), its start time in clock ticks since boot (/proc/<pid>/stat field
// 22), and what ran there (for the log). The start time tells a leader osd started from a later
// process that reused its PID. `osctl cluster destroy` ends what an osd it had to kill left.
import {mkdir, readdir, readFile, rm} from 'node:fs/promises';
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

/** How long a killed group may take to disappear before callers go on regardless. */
export const GROUP_EXIT_MS = 2000;

/** Where osd records its groups, relative to a node's state dir: services', then containers'. */
export const PROCESS_GROUP_DIRS = {services: 'run/services', containers: 'run/containers'} as const;

/**
 * Ends the groups recorded under a node's state dir whose osd is gone (killed, so it could not
 * stop them); for whoever killed it. A state dir without records is left as it is.
 */
export async function endRecordedGroups(stateDir: string): Promise<LeftoverGroup[]> {
  const ended: LeftoverGroup[] = [];
  for (const relative of Object.values(PROCESS_GROUP_DIRS)) {
    const directory = join(stateDir, relative);
    if (existsSync(directory)) ended.push(...(await new ProcessGroupRecords(directory).killLeftovers()));
  }
  return ended;
}

interface ProcStat {
  state: string;
  pgrp: number;
  startTime: string;
}

/** The fields of /proc/<pid>/stat this module uses, or undefined when the process is gone. */
function readStat(text: string): ProcStat | undefined {
  // After "pid (comm) " (comm may hold spaces and parentheses): state, ppid, pgrp, … starttime (22nd field overall).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (fields.length < 20) return undefined;
  return {state: fields[0], pgrp: Number(fields[2]), startTime: fields[19]};
}

/** A process's start time (clock ticks since boot), or undefined when it is gone or a zombie. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return stat === undefined || stat.state === 'Z' ? undefined : stat.startTime;
  } catch {
    return undefined;
  }
}

/** Live (not zombie) processes of group `pgid`, with their start times; undefined without procfs. */
async function groupMembers(pgid: number): Promise<Array<{pid: number; startTime: string}> | undefined> {
  const members: Array<{pid: number; startTime: string}> = [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const stat = readStat(await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => ''));
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z') members.push({pid: Number(entry), startTime: stat.startTime});
  }
  return members;
}

/**
 * True while group `pgid` has a live process. Orphans are reparented to PID 1, which may leave them
 * as zombies for a while: a zombie has ended, so it does not count.
 */
export async function groupHasLiveProcess(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  // Without procfs the group exists, zombie or not.
  return ((await groupMembers(pgid))?.length ?? 1) > 0;
}

/** Resolves once group `pgid` has no live process (SIGKILL is delivered asynchronously), or after `deadlineMs`. */
export async function groupEmptied(pgid: number, deadlineMs = GROUP_EXIT_MS): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline && (await groupHasLiveProcess(pgid))) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Sends `signal` to group `pgid`; false when the group is already empty. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH
  }
}

/**
 * Groups that may still have processes. osd stops its services and containers before it exits;
 * should it exit without doing so (an uncaught error, process.exit, a second signal), they are
 * killed on the way out rather than left running without a supervisor.
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** Kills group `pgid` should osd exit before untrackGroup(pgid). */
export function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const group of liveGroups) killGroup(group, 'SIGKILL');
  });
}

export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

/** A group an earlier osd left behind and this one killed. */
export interface LeftoverGroup {
  pgid: number;
  name: string;
}

/** The records of one kind of process groups (services, containers) in one directory. */
export class ProcessGroupRecords {
  constructor(readonly directory: string) {}

  /**
   * Kills the groups that the records of an earlier osd name and deletes every record; call once,
   * before starting anything that records here. A group is killed when its leader still has the
   * recorded start time, or when the leader is gone but processes started after it remain in the
   * group (a PID that still names a group cannot have been reused). Waits (bounded) for them to go.
   */
  async killLeftovers(): Promise<LeftoverGroup[]> {
    await mkdir(this.directory, {recursive: true, mode: 0o700});
    const killed: LeftoverGroup[] = [];
    for (const file of await readdir(this.directory)) {
      const path = join(this.directory, file);
      const [pidText = '', startTime = '', ...name] = (await readFile(path, 'utf8').catch(() => '')).trim().split(' ');
      // Whatever else is there goes too: one odd entry must not keep the others from being checked.
      await rm(path, {force: true, recursive: true});
      const pgid = Number(pidText);
      if (!Number.isSafeInteger(pgid) || pgid <= 1 || startTime === '') continue;
      const leaderStart = processStartTime(pgid);
      const ours =
        leaderStart !== undefined
          ? leaderStart === startTime
          : ((await groupMembers(pgid)) ?? []).some((member) => BigInt(member.startTime) >= BigInt(startTime));
      if (ours && killGroup(pgid, 'SIGKILL')) killed.push({pgid, name: name.join(' ')});
    }
    await Promise.all(killed.map(({pgid}) => groupEmptied(pgid)));
    return killed;
  }

  /** Notes a group that has just been started (its leader `pgid` is alive). Never throws: a record is a safety net. */
  record(pgid: number, name: string): void {
    const startTime = processStartTime(pgid);
    if (startTime === undefined) return;
    try {
      mkdirSync(this.directory, {recursive: true, mode: 0o700});
      writeFileSync(join(this.directory, String(pgid)), `${pgid} ${startTime} ${name}\n`, {mode: 0o600});
    } catch {
      // No record: only a killed osd's leftovers would go unnoticed.
    }
  }

  /** Drops the record of a group that has ended. */
  forget(pgid: number): void {
    rmSync(join(this.directory, String(pgid)), {force: true});
  }
}

/**
 * Ends the groups of `kind` (service, container) an earlier osd left running, warning about each;
 * a failure to check is a warning too, as the records are a safety net.
 */
export async function endLeftoverGroups(records: ProcessGroupRecords, kind: string, warn: (message: string) => void): Promise<void> {
  try {
    for (const {pgid, name} of await records.killLeftovers()) {
      warn(`killed process group ${pgid} of ${kind} ${name}, left running by an earlier osd that did not stop it`);
    }
  } catch (error) {
    warn(`cannot check for ${kind} processes an earlier osd left running: ${(error as Error).message}`);
  }
}
