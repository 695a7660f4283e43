// What Reset wipes on osd. A node's filesystem is its state folder (`root`); Talos's volumes map
// onto it as EPHEMERAL = `var` (etcd data, kubelet and pod folders, logs), META = `system/state/meta`,
// STATE = `system/state` + `system/secrets` (machine config, node identity, certificates).
// Nothing outside `root` is ever touched: every removal is of an entry found by reading a folder
// that was checked to be a real directory inside root, and removals never follow symbolic links.
import {mkdir, readdir, rm} from 'node:fs/promises';
import {join} from 'node:path';
import {META_FILE} from '../inside/meta-store.js';
import {isRealDirectory, realDirectoryInside} from '../node-dirs.js';

/**
 * Files under var/log that are osd's own console, not the node's: osd writes its log there and
 * `osctl cluster create` points osd's stdout and stderr there. A real node's console is not on
 * EPHEMERAL either, and osd keeps writing these files while the node resets.
 */
export const KEPT_LOG_FILES: readonly string[] = ['osd.log', 'osd.console.log'];

/** The folders a fresh EPHEMERAL has (Talos creates them at boot; `var/lib` must exist for EtcdRecover). */
const EPHEMERAL_LAYOUT = ['var/lib', 'var/log'];

/** Empties `<root>/var` except osd's own log files, then lays out its empty folders again. */
export async function wipeEphemeral(root: string): Promise<void> {
  const ephemeral = await realDirectoryInside(root, 'var');
  if (ephemeral !== undefined) {
    for (const entry of await readdir(ephemeral)) {
      const path = join(ephemeral, entry);
      if (entry === 'log' && (await isRealDirectory(path))) {
        for (const file of await readdir(path)) {
          if (!KEPT_LOG_FILES.includes(file)) await rm(join(path, file), {recursive: true, force: true});
        }
      } else {
        await rm(path, {recursive: true, force: true});
      }
    }
  }
  for (const folder of EPHEMERAL_LAYOUT) await mkdir(join(root, folder), {recursive: true, mode: 0o755});
}

/** Removes the node's META (an absent META reads as empty, as a wiped partition does). */
export async function wipeMeta(root: string): Promise<void> {
  const state = await realDirectoryInside(root, 'system/state');
  if (state !== undefined) await rm(join(root, META_FILE), {force: true});
}
