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
import {BoundedWork, LATE} from './bounded-work.js';
import {readProcFile} from './kernel-counters.js';

const MEASURE_DEADLINE_MS = 2000;

type Measured = {size: bigint; available: bigint} | undefined;

/** Measurements under way, by mount point: a concurrent Mounts call shares one instead of starting another. */
const measurements = new BoundedWork<string, Measured>();

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
    const measured = await measureWithin(mountedOn, deadlineMs);
    if (measured !== undefined) stats.push({filesystem, mountedOn, ...measured});
  }
  return stats;
}

async function measure(mountedOn: string): Promise<Measured> {
  try {
    if (!(await stat(mountedOn)).isDirectory()) return undefined;
    const fs = await statfs(mountedOn, {bigint: true});
    return {size: fs.bsize * fs.blocks, available: fs.bsize * fs.bavail};
  } catch {
    return undefined;
  }
}

async function measureWithin(mountedOn: string, deadlineMs: number): Promise<Measured> {
  const outcome = await measurements.run(mountedOn, () => measure(mountedOn), deadlineMs);
  return outcome === LATE ? undefined : outcome;
}
