// Extracting a node's gzip tar (`osctl cp`) without trusting it: the node may be hostile. Nothing
// is written outside the destination: names that are absolute, contain `..`, or lead through a
// symlink an earlier entry made are refused. Nothing existing is overwritten: every entry is
// created exclusively, first inside a hidden staging folder next to its final place, and moved
// into the destination only when the whole archive arrived, each with an operation that fails
// rather than replace (link + unlink for files and symlinks). A failure or Ctrl-C removes the
// staging folder, so the destination never holds a partial copy.
import {constants as fsConstants, readdirSync, rmdirSync, unlinkSync} from 'node:fs';
import {chmod, link, lstat, mkdir, mkdtemp, open, readdir, rename, rmdir, symlink, unlink} from 'node:fs/promises';
import {basename, dirname, join, resolve} from 'node:path';
import {createGunzip} from 'node:zlib';
import {extract as tarExtract} from 'tar-stream';
import {CliError} from './errors.js';

export interface Destination {
  /** The folder the entries end up in. */
  path: string;
  /** It does not exist yet: the staging folder becomes it. */
  create: boolean;
}

/**
 * Removes a folder and everything in it, depth first with a stack of its own: Node's recursive rm
 * recurses on the call stack and overflows on a hostile archive's tree ~2000 levels deep (the
 * staging folder was then left behind and osctl died with a RangeError). Entries that are gone
 * already are no error.
 */
export function removeTreeSync(root: string): void {
  const stack: Buffer[] = [Buffer.from(root)];
  const gone = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';
  while (stack.length > 0) {
    const folder = stack[stack.length - 1];
    let names: Buffer[];
    try {
      names = readdirSync(folder, {encoding: 'buffer'});
    } catch (err) {
      stack.pop();
      if (gone(err)) continue;
      if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
      unlinkSync(folder);
      continue;
    }
    let descended = false;
    for (const name of names) {
      const entry = Buffer.concat([folder, Buffer.from('/'), name]);
      try {
        unlinkSync(entry);
      } catch (err) {
        if (gone(err)) continue;
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EISDIR' && code !== 'EPERM') throw err;
        stack.push(entry); // a folder: emptied first, removed when it is on top again
        descended = true;
      }
    }
    if (descended) continue;
    stack.pop();
    try {
      rmdirSync(folder);
    } catch (err) {
      if (!gone(err)) throw err;
    }
  }
}

/** talosctl's checks: a directory, or nothing yet (created at the end, with its parents). */
export async function prepareDestination(localPath: string): Promise<Destination> {
  const path = resolve(localPath);
  try {
    const info = await lstat(path);
    const real = info.isSymbolicLink() ? await import('node:fs/promises').then((m) => m.stat(path)) : info;
    if (!real.isDirectory()) throw new CliError(`local path ${JSON.stringify(localPath)} should be a directory`);
    return {path, create: false};
  } catch (err) {
    if (err instanceof CliError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`failed to stat local path: ${(err as Error).message}`);
    return {path, create: true};
  }
}

/** An archive entry's name as safe parts, or why it is refused. */
export function entryParts(name: string): string[] | string {
  if (name.startsWith('/')) return 'an absolute name';
  if (name.includes('\0')) return 'a NUL in the name';
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return 'a ".." in the name';
  if (parts.length === 0) return 'an empty name';
  return parts;
}

export async function extractInto(destination: Destination, archive: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<void> {
  const parent = destination.create ? dirname(destination.path) : destination.path;
  if (destination.create) {
    try {
      await mkdir(parent, {recursive: true});
    } catch (err) {
      throw new CliError(`error creating local path ${JSON.stringify(parent)}: ${(err as Error).message}`);
    }
  }
  const staging = await mkdtemp(join(parent, `.${destination.create ? basename(destination.path) : 'osctl-cp'}.osctl-cp-`));
  // However the process ends (Ctrl-C twice, an extraction stuck on a destroyed stream while the
  // event loop drains), the staging folder goes with it.
  // Entries already moved into the destination: taken back if the moving fails or the process
  // ends half way, so the destination holds all of the copy or none of it.
  const moved: string[] = [];
  const removeStaging = () => removeTreeSync(staging);
  const rollBack = () => {
    for (const path of moved.splice(0)) removeTreeSync(path);
    removeStaging();
  };
  process.once('exit', rollBack);
  signal.addEventListener('abort', removeStaging, {once: true});
  try {
    await unpack(staging, archive, signal);
    if (signal.aborted) throw new Error('interrupted');
    // The moves are local and brief: a Ctrl-C now lets them finish rather than remove the staged
    // entries from under them (which left the destination with some of the copy).
    signal.removeEventListener('abort', removeStaging);
    await moveIntoPlace(staging, destination, moved);
    moved.length = 0;
  } catch (err) {
    rollBack();
    throw err;
  } finally {
    process.off('exit', rollBack);
    signal.removeEventListener('abort', removeStaging);
    removeTreeSync(staging);
  }
}

async function unpack(staging: string, archive: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<void> {
  const gunzip = createGunzip();
  const extract = tarExtract();
  gunzip.pipe(extract as unknown as NodeJS.WritableStream);
  gunzip.on('error', (err) => extract.destroy(err));
  const feeding = (async () => {
    try {
      for await (const bytes of archive) {
        if (signal.aborted || gunzip.destroyed) break;
        // Also over when gunzip is destroyed (a refused entry): it then never drains, and
        // waiting for that hung osctl for good.
        if (!gunzip.write(bytes)) await drainedOrClosed(gunzip);
      }
      if (!gunzip.destroyed) gunzip.end();
    } catch (err) {
      gunzip.destroy(err as Error);
      extract.destroy(err as Error);
      throw err;
    }
  })();
  // Its failure is awaited below; until then it must not count as unhandled.
  feeding.catch(() => undefined);
  const madeSymlinks = new Set<string>();
  /** Folders made so far, by their parts joined with `/`. */
  const madeFolders = new Set<string>();
  try {
    for await (const entry of extract) {
      if (signal.aborted) break;
      const header = entry.header;
      const parts = entryParts(header.name);
      if (typeof parts === 'string') throw new Error(`refusing archive entry ${JSON.stringify(header.name)}: ${parts}`);
      const path = join(staging, ...parts);
      // Every folder on the way must be one this extraction made, never a symlink it made. A
      // parent already made means its whole way was checked: checking every level of every entry
      // made a hostile archive 2000 levels deep take minutes.
      const parentKey = parts.slice(0, -1).join('/');
      if (parts.length > 1 && !madeFolders.has(parentKey)) {
        for (let i = 1; i < parts.length; i++) {
          const key = parts.slice(0, i).join('/');
          if (madeFolders.has(key)) continue;
          const prefix = join(staging, key);
          if (madeSymlinks.has(prefix)) throw new Error(`refusing archive entry ${JSON.stringify(header.name)}: it leads through the symlink ${JSON.stringify(key)}`);
          try {
            const info = await lstat(prefix);
            if (!info.isDirectory()) throw new Error(`refusing archive entry ${JSON.stringify(header.name)}: ${JSON.stringify(key)} is not a folder`);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
            await mkdir(prefix, {mode: 0o755});
          }
          madeFolders.add(key);
        }
      }
      const mode = (header.mode ?? 0o644) & 0o777;
      const exists = (err: unknown) =>
        (err as NodeJS.ErrnoException).code === 'EEXIST' ? new Error(`archive entry ${JSON.stringify(header.name)} appears twice`) : err;
      switch (header.type) {
        case 'directory':
          await mkdir(path, {mode: mode | 0o700}).catch((err) => {
            throw exists(err);
          });
          madeFolders.add(parts.join('/'));
          entry.resume();
          break;
        case 'symlink':
          await symlink(header.linkname ?? '', path).catch((err) => {
            throw exists(err);
          });
          madeSymlinks.add(path);
          entry.resume();
          break;
        default: {
          // Files; devices, FIFOs and hard links become (empty) regular files, as talosctl makes them.
          const handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, mode).catch((err) => {
            throw exists(err);
          });
          try {
            for await (const chunk of entry as AsyncIterable<Buffer>) {
              if (signal.aborted) break;
              await handle.write(chunk);
            }
          } finally {
            await handle.close();
          }
        }
      }
    }
  } catch (err) {
    gunzip.destroy();
    await feeding.catch(() => undefined);
    throw err;
  }
  // Left early (Ctrl-C): the rest of the archive is not wanted.
  if (signal.aborted) gunzip.destroy();
  await feeding;
}

function drainedOrClosed(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}

/**
 * Moves the staged entries into the destination, refusing (before moving anything) any that exists
 * there. Each move fails rather than replace: a folder is first made exclusively (mkdir), then the
 * staged one renamed onto that empty folder of ours (a rename alone replaces an empty folder that
 * appeared meanwhile); files and symlinks are linked (link fails on an existing name), then unlinked.
 * `moved` collects what is in place, for the caller to take back on failure.
 */
async function moveIntoPlace(staging: string, destination: Destination, moved: string[]): Promise<void> {
  const appeared = (path: string) => (err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' || (err as NodeJS.ErrnoException).code === 'ENOTEMPTY') {
      throw new CliError(`local path ${JSON.stringify(path)} appeared during the copy; nothing was written (osctl cp never overwrites)`);
    }
    throw err;
  };
  const moveFolder = async (from: string, to: string) => {
    await mkdir(to, {mode: 0o700}).catch(appeared(to));
    moved.push(to);
    await rename(from, to).catch(appeared(to));
  };
  if (destination.create) {
    // A new folder as MkdirAll makes it (0777 less the umask), not mkdtemp's 0700.
    const umask = process.umask();
    await chmod(staging, 0o777 & ~umask);
    await moveFolder(staging, destination.path);
    return;
  }
  const names = await readdir(staging);
  for (const name of names) {
    try {
      await lstat(join(destination.path, name));
      throw new CliError(`${JSON.stringify(join(destination.path, name))} already exists; nothing was written (osctl cp never overwrites)`, 1, [
        'copy into an empty or new folder',
      ]);
    } catch (err) {
      if (err instanceof CliError) throw err;
    }
  }
  for (const name of names) {
    const from = join(staging, name);
    const to = join(destination.path, name);
    const info = await lstat(from);
    if (info.isDirectory()) await moveFolder(from, to);
    else {
      await link(from, to).catch(appeared(to));
      moved.push(to);
      await unlink(from);
    }
  }
  await rmdir(staging).catch(() => undefined);
}
