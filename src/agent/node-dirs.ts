// Folders of a node's state folder (`root`) that osd writes into or removes from on the node's
// behalf (Reset's wipe, EtcdRecover's upload, etcd's data dir). A symbolic link on the way could
// lead outside the node, so such a folder is used only when it is a real directory at that very place.
import {lstat, mkdir, realpath} from 'node:fs/promises';
import {join} from 'node:path';

/**
 * `<root>/<relative>` when it is a real directory at that very place (no symbolic link on the
 * way); undefined when it does not exist. Anything else (a link, a file) is refused with an error
 * naming the path.
 */
export async function realDirectoryInside(root: string, relative: string): Promise<string | undefined> {
  const path = join(root, relative);
  try {
    await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const [realRoot, realPath] = await Promise.all([realpath(root), realpath(path)]);
  if (realPath !== join(realRoot, relative) || !(await isRealDirectory(path))) {
    throw new NotNodeDirectoryError(`${path} is not a directory of the node (a symbolic link or another file)`);
  }
  return path;
}

export class NotNodeDirectoryError extends Error {}

export async function isRealDirectory(path: string): Promise<boolean> {
  const stats = await lstat(path);
  return stats.isDirectory() && !stats.isSymbolicLink();
}

/** `<root>/<relative>` as a real directory of the node, made (with `mode`) where missing; a link on the way is refused. */
export async function makeRealDirectoryInside(root: string, relative: string, mode: number): Promise<string> {
  const parts = relative.split('/').filter((part) => part !== '');
  for (let depth = 1; depth <= parts.length; depth++) {
    const prefix = parts.slice(0, depth).join('/');
    if ((await realDirectoryInside(root, prefix)) !== undefined) continue;
    try {
      await mkdir(join(root, prefix), {mode});
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if ((await realDirectoryInside(root, prefix)) === undefined) throw new Error(`${join(root, prefix)} vanished while it was made`);
  }
  return join(root, relative);
}
