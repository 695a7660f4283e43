// Writing a file so that readers never see half of it and a crash leaves no partial file:
// a private temp file is written, fsynced and renamed over the target.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import {randomBytes} from 'node:crypto';

/** Unique per write: two writers of one path in one process must not share (or swap) a temp file. */
function temporaryPath(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o600): void {
  const directory = path.dirname(target);
  const temp = temporaryPath(target);
  try {
    fs.mkdirSync(directory, {recursive: true, mode: 0o700});
    const fd = fs.openSync(temp, 'wx', mode);
    try {
      fs.fchmodSync(fd, mode); // the umask may have narrowed the mode
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, target);
  } catch (error) {
    fs.rmSync(temp, {force: true});
    throw error;
  }
  syncDirectory(directory);
}

/** The same for a long-running process (osd), which must not block its event loop on fsync. */
export async function writeFileAtomicAsync(target: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const temp = temporaryPath(target);
  try {
    await fsp.mkdir(path.dirname(target), {recursive: true, mode: 0o700});
    const file = await fsp.open(temp, 'wx', mode);
    try {
      await file.chmod(mode);
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await fsp.rename(temp, target);
  } catch (error) {
    await fsp.rm(temp, {force: true});
    throw error;
  }
  await syncDirectoryAsync(path.dirname(target));
}

/** Makes the rename durable; some filesystems refuse to fsync a directory, which is harmless. */
function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(directory, 'r');
    fs.fsyncSync(fd);
  } catch {
    // not supported here: the rename is still atomic, only not yet durable
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

async function syncDirectoryAsync(directory: string): Promise<void> {
  const handle = await fsp.open(directory, 'r').catch(() => undefined);
  // As above: a filesystem that cannot fsync a directory still renamed atomically.
  await handle?.sync().catch(() => {});
  await handle?.close();
}
