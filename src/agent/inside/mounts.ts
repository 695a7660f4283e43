// The host's mounts with their sizes, as Talos's Mounts reports them: every /proc/mounts line whose
// mount point is a directory, with statfs's size (blocks × block size) and space available to
// unprivileged users (bavail × block size), in bytes.
//
// statfs on a dead network mount can block for minutes, and in Node it blocks a libuv pool thread
// (4 by default, shared with every file read of osd). So mounts are measured one at a time, each
// within a deadline; one that misses it is left out of this and later answers while its call is
// still stuck, so a hung mount ties up at most one thread however often Mounts is called.
import {stat, statfs} from 'node:fs/promises';
import type {MountStat} from '../../machinery/api/machine/machine.js';
import {readProcFile} from './kernel-counters.js';

const MEASURE_DEADLINE_MS = 2000;

/** Mount points whose stat/statfs has not returned yet. */
const stuck = new Set<string>();

/** `\040` and friends (the kernel's escapes for space, tab, newline and backslash) back to the characters. */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parseProcMounts(text: string): Array<{filesystem: string; mountedOn: string}> {
  const mounts: Array<{filesystem: string; mountedOn: string}> = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 2) continue;
    mounts.push({filesystem: unescapeMountField(fields[0]), mountedOn: unescapeMountField(fields[1])});
  }
  return mounts;
}

/**
 * Every mount that can be measured now. One that is gone (unmounted since /proc/mounts was read),
 * not a directory, refused to us, or stuck is left out: its size is not known, and nothing is
 * invented for it.
 */
export async function measureMounts(procMounts = '/proc/mounts', deadlineMs = MEASURE_DEADLINE_MS): Promise<MountStat[]> {
  const stats: MountStat[] = [];
  for (const {filesystem, mountedOn} of parseProcMounts(await readProcFile(procMounts))) {
    if (stuck.has(mountedOn)) continue;
    const measured = await withinDeadline(mountedOn, measure(mountedOn), deadlineMs);
    if (measured !== undefined) stats.push({filesystem, mountedOn, ...measured});
  }
  return stats;
}

async function measure(mountedOn: string): Promise<{size: bigint; available: bigint} | undefined> {
  try {
    if (!(await stat(mountedOn)).isDirectory()) return undefined;
    const fs = await statfs(mountedOn, {bigint: true});
    return {size: fs.bsize * fs.blocks, available: fs.bsize * fs.bavail};
  } catch {
    return undefined;
  }
}

function withinDeadline<T>(mountedOn: string, work: Promise<T | undefined>, deadlineMs: number): Promise<T | undefined> {
  stuck.add(mountedOn);
  void work.finally(() => stuck.delete(mountedOn));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), deadlineMs)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
