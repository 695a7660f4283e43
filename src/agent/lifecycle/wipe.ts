// What Reset wipes on osd. A node's filesystem is its state folder (`root`); Talos's volumes map
// onto it as EPHEMERAL = `var` (etcd data, kubelet and pod folders, logs), META = `system/state/meta`,
// STATE = `system/state` + `system/secrets` (machine config, node identity, certificates).
// Nothing outside `root` is ever touched: every removal is of an entry found by reading a folder
// that was checked to be a real directory inside root, and removals never follow symbolic links.
import {lstat, readdir, readFile, realpath, rename, rm} from 'node:fs/promises';
import {isAbsolute, join, relative} from 'node:path';
import {META_FILE} from '../inside/meta-store.js';
import {parseProcMounts} from '../inside/mounts.js';
import {isRealDirectory, makeRealDirectoryInside, realDirectoryInside} from '../node-dirs.js';

/**
 * Files under var/log that are osd's own console, not the node's: osd writes its log there and
 * `osctl cluster create` points osd's stdout and stderr there. A real node's console is not on
 * EPHEMERAL either, and osd keeps writing these files while the node resets.
 */
export const KEPT_LOG_FILES: readonly string[] = ['osd.log', 'osd.console.log'];

/** The folders a fresh EPHEMERAL has (Talos creates them at boot; `var/lib` must exist for EtcdRecover). */
const EPHEMERAL_LAYOUT = ['var/lib', 'var/log'];

/**
 * Where `var` is moved while it is wiped. Moving it first makes the wipe all or nothing for the
 * node: an osd killed mid-wipe comes back to an empty EPHEMERAL (its next start finishes the
 * removal), never to half an etcd data dir that etcd would crash on.
 */
export const WIPING_DIR = '.var.wiping';

/**
 * Empties `<root>/var` except osd's own log files, then lays out its empty folders again. Mount
 * points inside are left as they are (what is mounted there is not the node's EPHEMERAL); they are
 * returned, so the caller can say so.
 */
export async function wipeEphemeral(root: string): Promise<string[]> {
  const skipped = await finishInterruptedWipe(root);
  const ephemeral = await realDirectoryInside(root, 'var');
  const mounts = await mountPointsUnder(root);
  if (ephemeral !== undefined) {
    const aside = join(root, WIPING_DIR);
    let movedAside = true;
    try {
      await rename(ephemeral, aside);
    } catch (error) {
      // var is a mount point itself (EBUSY): it is emptied in place instead.
      if ((error as NodeJS.ErrnoException).code !== 'EBUSY') throw error;
      movedAside = false;
    }
    if (movedAside) {
      await layOut(root);
      await keepLogFiles(aside, root);
      skipped.push(...(await removeTree(aside, mounts)));
    } else {
      const device = (await lstat(ephemeral)).dev;
      for (const entry of await readdir(ephemeral)) {
        const path = join(ephemeral, entry);
        if (entry === 'log' && (await isRealDirectory(path))) {
          for (const file of await readdir(path)) {
            if (!KEPT_LOG_FILES.includes(file)) skipped.push(...(await removeTree(join(path, file), mounts, device)));
          }
        } else {
          skipped.push(...(await removeTree(path, mounts, device)));
        }
      }
    }
  }
  await layOut(root);
  return skipped;
}

/**
 * Finishes a wipe an earlier osd could not (it was killed after moving `var` aside): the kept log
 * files go back if `var/log` has none of that name, the rest is removed. Called when osd starts
 * and before each wipe; returns the mount points left in place.
 */
export async function finishInterruptedWipe(root: string): Promise<string[]> {
  const aside = join(root, WIPING_DIR);
  let stats;
  try {
    stats = await lstat(aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  if (!stats.isDirectory()) {
    await rm(aside, {force: true});
    return [];
  }
  await layOut(root);
  await keepLogFiles(aside, root);
  return removeTree(aside, await mountPointsUnder(root));
}

async function layOut(root: string): Promise<void> {
  for (const folder of EPHEMERAL_LAYOUT) await makeRealDirectoryInside(root, folder, 0o755);
}

/** Moves osd's own log files (regular files only; open ones keep being written) from `<aside>/log` to `var/log`. */
async function keepLogFiles(aside: string, root: string): Promise<void> {
  const from = join(aside, 'log');
  if (!(await isRealDirectory(from).catch(() => false))) return;
  for (const file of KEPT_LOG_FILES) {
    const source = join(from, file);
    const stats = await lstat(source).catch(() => undefined);
    if (stats?.isFile() !== true) continue;
    const target = join(root, 'var/log', file);
    if ((await lstat(target).catch(() => undefined)) === undefined) await rename(source, target);
  }
}

/**
 * Removes `path` and what is below it without following links and without entering another mount
 * (a mount point, or a directory on another device); returns the mount points left.
 */
async function removeTree(path: string, mounts: ReadonlySet<string>, device?: number): Promise<string[]> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  if (!stats.isDirectory()) {
    await rm(path, {force: true});
    return [];
  }
  if ((device !== undefined && stats.dev !== device) || mounts.has(path)) return [path];
  const skipped: string[] = [];
  for (const entry of await readdir(path)) skipped.push(...(await removeTree(join(path, entry), mounts, stats.dev)));
  if (skipped.length === 0) await rm(path, {recursive: true, force: true});
  return skipped;
}

/** Mount points at or below `root`, as paths under `root` as given (from /proc/self/mounts). */
async function mountPointsUnder(root: string): Promise<Set<string>> {
  const realRoot = await realpath(root);
  const text = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
  const found = new Set<string>();
  for (const {mountedOn} of parseProcMounts(text)) {
    const inside = relative(realRoot, mountedOn);
    if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) {
      found.add(join(root, inside));
      // var moved aside is where its mounts are now found as well.
      if (inside === 'var' || inside.startsWith('var/')) found.add(join(root, WIPING_DIR, inside.slice('var'.length)));
    }
  }
  return found;
}

/** Removes the node's META (an absent META reads as empty, as a wiped partition does). */
export async function wipeMeta(root: string): Promise<void> {
  const state = await realDirectoryInside(root, 'system/state');
  if (state !== undefined) await rm(join(root, META_FILE), {force: true});
}
