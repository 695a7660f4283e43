// The node's filesystem as osd shows it: the state folder is the node's `/`, and `/proc` and `/sys`
// are the host's (read-only: nothing here writes). Every path a request names is resolved here one
// component at a time (lstat, readlink): `..` stops at the root, a symlink's target is resolved
// against the node's root (absolute) or its folder (relative), so nothing outside the three areas
// is ever named. Whatever is opened is opened without following a last symlink, non-blocking (a
// FIFO cannot hang osd), and its descriptor's real path is checked before use, which defeats a
// component swapped for a symlink between the check and the open. Folders are read and their
// entries opened through the checked descriptor (`/proc/self/fd/<n>/<name>`), never by path again.
//
// Every error names the node's path, never the host's (the state folder's location is not the
// client's business), in Go's wording (`lstat /x: no such file or directory`).
import {constants as fsConstants, realpathSync, type Stats} from 'node:fs';
import {lstat, open, readdir, readlink, type FileHandle} from 'node:fs/promises';
import {join} from 'node:path';

/** Areas of the node's tree that are the host's own (always the host's, even if the state folder has such a folder). */
const HOST_AREAS = ['proc', 'sys'] as const;
const MAX_SYMLINKS = 40; // Linux's limit before ELOOP
const PATH_MAX = 4096; // Linux's limit on a path's bytes (ENAMETOOLONG)

/** A failure on one node path, worded as Go's *PathError. */
export class NodePathError extends Error {
  constructor(
    readonly op: string,
    readonly nodePath: string,
    readonly code: string,
    detail?: string,
  ) {
    super(`${op} ${nodePath}: ${detail ?? errnoText(code)}`);
  }
}

/** Go's texts (syscall.Errno.Error) for the errors a filesystem walk meets. */
const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  EINVAL: 'invalid argument',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in system',
  ENXIO: 'no such device or address',
  EAGAIN: 'resource temporarily unavailable',
  ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error',
  ESRCH: 'no such process',
  ENODEV: 'no such device',
  EOPNOTSUPP: 'operation not supported',
  EXDEV: 'invalid cross-device link',
};

export function errnoText(code: string): string {
  return ERRNO_TEXT[code] ?? code.toLowerCase();
}

/** The errno code of a Node error, or EIO for anything else. */
export function errnoOf(error: unknown): string {
  const code = (error as {code?: unknown})?.code;
  return typeof code === 'string' ? code : 'EIO';
}

/** A node path's place on the host: `hostPath` is what to lstat/open; `nodePath` is how the client names it. */
export interface NodeLocation {
  nodePath: string;
  hostPath: string;
}

/** The node's components of an absolute or relative path, `.`/`..`/empty kept for the resolver. */
function components(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

export class NodeFs {
  /** The state folder's real path: descriptors opened inside it read back under this prefix. */
  private readonly realRoot: string;

  constructor(readonly root: string) {
    this.realRoot = realpathSync(root);
  }

  /** Where a node path (already free of symlinks and `..`) lives on the host. */
  hostPathOf(parts: readonly string[]): string {
    if (parts.length > 0 && (HOST_AREAS as readonly string[]).includes(parts[0])) return '/' + parts.join('/');
    return join(this.realRoot, ...parts);
  }

  /** `/a/b` for the parts [a, b]; `/` for none. */
  static nodePathOf(parts: readonly string[]): string {
    return '/' + parts.join('/');
  }

  /**
   * Resolves `path` (taken from `/`) inside the node: symlinks on the way are followed inside the
   * node, and the last one too when `followLast`. `op` and `shown` word the error (`lstat /x: …`).
   */
  async resolve(path: string, options: {followLast: boolean; op: string; shown?: string}): Promise<NodeLocation> {
    const shown = options.shown ?? path;
    // The kernel's limit, checked before any work: a 3 MB request of `/..` (or `/etc/..`) kept
    // osd's event loop busy for a minute (or its CPU for minutes).
    if (Buffer.byteLength(path) >= PATH_MAX) {
      throw new NodePathError(options.op, shown.length > 64 ? `${shown.slice(0, 64)}…` : shown, 'ENAMETOOLONG');
    }
    // The components still to walk, the next one last (pop and push are O(1); shift was O(n)).
    const pending = components(path).reverse();
    const resolved: string[] = [];
    let links = 0;
    while (pending.length > 0) {
      const part = pending.pop()!;
      if (part === '..') {
        resolved.pop(); // never above the root
        continue;
      }
      const candidate = [...resolved, part];
      const host = this.hostPathOf(candidate);
      let info: Stats;
      try {
        info = await lstat(host);
      } catch (error) {
        throw new NodePathError(options.op, shown, errnoOf(error));
      }
      const last = pending.length === 0;
      if (info.isSymbolicLink() && (!last || options.followLast)) {
        if (++links > MAX_SYMLINKS) throw new NodePathError(options.op, shown, 'ELOOP');
        let target: string;
        try {
          target = await readlink(host);
        } catch (error) {
          throw new NodePathError(options.op, shown, errnoOf(error));
        }
        // An absolute target starts again at the node's root; a relative one at the link's folder.
        if (target.startsWith('/')) resolved.length = 0;
        pending.push(...components(target).reverse());
        continue;
      }
      if (!last && !info.isDirectory()) throw new NodePathError(options.op, shown, 'ENOTDIR');
      resolved.push(part);
    }
    return {nodePath: NodeFs.nodePathOf(resolved), hostPath: this.hostPathOf(resolved)};
  }

  /** Whether a descriptor's real path (as the kernel reports it) lies in the node: the state folder, /proc or /sys. */
  async checkDescriptor(handle: FileHandle, nodePath: string, op: string): Promise<void> {
    let real: string;
    try {
      real = await readlink(`/proc/self/fd/${handle.fd}`);
    } catch (error) {
      throw new NodePathError(op, nodePath, errnoOf(error));
    }
    const inside =
      real === this.realRoot ||
      real.startsWith(this.realRoot.endsWith('/') ? this.realRoot : this.realRoot + '/') ||
      HOST_AREAS.some((area) => real === `/${area}` || real.startsWith(`/${area}/`));
    if (!inside) throw new NodePathError(op, nodePath, 'EXDEV', 'refused: it leads outside the node\'s filesystem');
  }

  /**
   * Opens a host path found by resolve() or a walk, without following a last symlink and without
   * blocking, and checks where the descriptor really points. `directory` insists on a folder.
   */
  async openChecked(hostPath: string, nodePath: string, options: {directory?: boolean; op?: string} = {}): Promise<FileHandle> {
    const op = options.op ?? 'open';
    const flags = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY |
      (options.directory ? fsConstants.O_DIRECTORY : 0);
    let handle: FileHandle;
    try {
      handle = await open(hostPath, flags);
    } catch (error) {
      throw new NodePathError(op, nodePath, errnoOf(error));
    }
    try {
      await this.checkDescriptor(handle, nodePath, op);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return handle;
  }

  /**
   * A folder's entry names in byte order (as Go's filepath.Walk reads them), read through its
   * checked descriptor. The node's root also shows `proc` and `sys` (the host's). Names that are
   * not valid UTF-8 are marked `invalid` and shown with `\xNN` escapes (their lossy decoding may
   * be another entry's name).
   */
  async readFolderNames(folder: OpenFolder): Promise<FolderName[]> {
    let raw: Buffer[];
    try {
      raw = await readdir(folder.entriesPath, {encoding: 'buffer'});
    } catch (error) {
      throw new NodePathError('open', folder.nodePath, errnoOf(error));
    }
    if (folder.nodePath === '/') {
      for (const area of HOST_AREAS) if (!raw.some((name) => name.equals(Buffer.from(area)))) raw.push(Buffer.from(area));
    }
    raw.sort(Buffer.compare);
    return raw.map((bytes) => {
      const name = bytes.toString('utf8');
      return Buffer.from(name, 'utf8').equals(bytes) ? {name} : {name: escapeInvalidUtf8(bytes), invalid: true};
    });
  }

  /** Where an entry of an open folder is reached on the host (through the folder's descriptor). */
  entryHostPath(folder: OpenFolder, name: string): string {
    if (folder.nodePath === '/' && (HOST_AREAS as readonly string[]).includes(name)) return `/${name}`;
    return `${folder.entriesPath}/${name}`;
  }

  /** Opens a folder for reading its entries; close it when done. */
  async openFolder(hostPath: string, nodePath: string): Promise<OpenFolder> {
    const handle = await this.openChecked(hostPath, nodePath, {directory: true});
    return {handle, nodePath, entriesPath: `/proc/self/fd/${handle.fd}`};
  }
}

export interface FolderName {
  name: string;
  /** The name's bytes are not UTF-8: `name` shows them escaped and names no entry. */
  invalid?: true;
}

/** Bytes as text with every byte that is not part of valid UTF-8 shown as `\xNN`. */
export function escapeInvalidUtf8(bytes: Buffer): string {
  let out = '';
  let start = 0;
  const decoder = new TextDecoder('utf-8', {fatal: true});
  for (let i = 0; i < bytes.length;) {
    // The longest valid sequence starting here (1..4 bytes), else one escaped byte.
    let taken = 0;
    for (let length = Math.min(4, bytes.length - i); length >= 1 && taken === 0; length--) {
      try {
        decoder.decode(bytes.subarray(i, i + length));
        taken = length;
      } catch {
        // not a whole character
      }
    }
    if (taken === 0) {
      out += decoder.decode(bytes.subarray(start, i)) + `\\x${bytes[i].toString(16).padStart(2, '0')}`;
      i++;
      start = i;
    } else i += taken;
  }
  return out + decoder.decode(bytes.subarray(start));
}

export interface OpenFolder {
  handle: FileHandle;
  nodePath: string;
  /** The folder's entries through its descriptor: `/proc/self/fd/<n>`. */
  entriesPath: string;
}

/** Go's string order: by UTF-8 bytes. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Joins a node folder path and an entry name as Go's filepath.Join does for clean inputs. */
export function joinNodePath(folder: string, name: string): string {
  return folder === '/' ? `/${name}` : `${folder}/${name}`;
}

// Go os.FileMode bits (talos-behaviour.md item 30).
export const GoMode = {
  dir: 0x80000000,
  append: 1 << 30,
  exclusive: 1 << 29,
  temporary: 1 << 28,
  symlink: 1 << 27,
  device: 1 << 26,
  namedPipe: 1 << 25,
  socket: 1 << 24,
  setuid: 1 << 23,
  setgid: 1 << 22,
  charDevice: 1 << 21,
  sticky: 1 << 20,
  irregular: 1 << 19,
} as const;

/** A POSIX st_mode as Go's os.FileMode (as lstat gives it to Go), an unsigned 32-bit value. */
export function goFileMode(stMode: number): number {
  let mode = stMode & 0o777;
  switch (stMode & fsConstants.S_IFMT) {
    case fsConstants.S_IFDIR: mode |= GoMode.dir; break;
    case fsConstants.S_IFLNK: mode |= GoMode.symlink; break;
    case fsConstants.S_IFBLK: mode |= GoMode.device; break;
    case fsConstants.S_IFCHR: mode |= GoMode.device | GoMode.charDevice; break;
    case fsConstants.S_IFIFO: mode |= GoMode.namedPipe; break;
    case fsConstants.S_IFSOCK: mode |= GoMode.socket; break;
    case fsConstants.S_IFREG: break;
    default: mode |= GoMode.irregular;
  }
  if (stMode & 0o4000) mode |= GoMode.setuid;
  if (stMode & 0o2000) mode |= GoMode.setgid;
  if (stMode & 0o1000) mode |= GoMode.sticky;
  return mode >>> 0;
}

/** One entry of a walk, as Talos's archiver.Walker yields it. */
export interface WalkItem {
  /** The node path (filepath.Walk's path); empty for a failure of the whole walk. */
  nodePath: string;
  /** Relative to the walk's root: `.` for the root folder, the base name for a root file; empty with an error. */
  relPath: string;
  info?: Stats;
  /** Where to open the entry on the host (through its folder's checked descriptor). */
  hostPath?: string;
  /** The symlink's target text. */
  link?: string;
  error?: string;
}

export interface WalkOptions {
  /** Descend while (slashes in path − slashes in root) < maxDepth; -1: no limit (Talos's atMaxDepth). */
  maxDepth: number;
  /** Leave the root folder out (Copy). */
  skipRoot?: boolean;
  /** Only these kinds are yielded (folders are still walked). */
  types?: ReadonlySet<'regular' | 'directory' | 'symlink'>;
  signal: AbortSignal;
}

function slashes(path: string): number {
  let count = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) count++;
  return count;
}

function kindMatches(info: Stats, types: ReadonlySet<string>): boolean {
  if (types.has('regular') && info.isFile()) return true;
  if (types.has('directory') && info.isDirectory()) return true;
  return types.has('symlink') && info.isSymbolicLink();
}

/**
 * Walks the node's tree from `root` as Talos's archiver.Walker does (filepath.Walk: lexical order,
 * lstat, symlinks reported, not followed; a symlinked root is resolved first). Missing or
 * unreachable roots throw NodePathError (`lstat <root>: …`). Entries are produced one at a time
 * as the consumer asks: only one folder's names per level are held.
 *
 * One difference from Talos: a type filter there also skips the depth check of the folders it
 * filters out, so `ls -t f /` walks the whole tree; here the depth limit always holds.
 */
export async function* walkNode(fs: NodeFs, root: string, options: WalkOptions): AsyncGenerator<WalkItem> {
  const absolute = '/' + components(root).join('/');
  let location = await fs.resolve(absolute, {followLast: false, op: 'lstat'});
  let info: Stats;
  try {
    info = await lstat(location.hostPath);
  } catch (error) {
    throw new NodePathError('lstat', location.nodePath, errnoOf(error));
  }
  if (info.isSymbolicLink()) {
    location = await fs.resolve(location.nodePath, {followLast: true, op: 'lstat'});
    try {
      info = await lstat(location.hostPath);
    } catch (error) {
      throw new NodePathError('lstat', location.nodePath, errnoOf(error));
    }
  }
  const rootPath = location.nodePath;
  const rootSlashes = slashes(rootPath);

  // An explicit stack of open folders, not recursion: a hostile tree thousands of levels deep
  // must not overflow the call stack (nested generators did, at about 2000 levels) nor cost
  // O(depth) per entry. One descriptor per level is held, as Go's Walk holds one path per level.
  interface Frame {
    folder: OpenFolder;
    names: FolderName[];
    next: number;
  }
  const stack: Frame[] = [];
  let pending: {nodePath: string; hostPath: string; entry: Stats} | undefined = {nodePath: rootPath, hostPath: location.hostPath, entry: info};
  try {
    for (;;) {
      if (options.signal.aborted) return;
      if (pending) {
        const {nodePath, hostPath, entry} = pending;
        pending = undefined;
        const isRoot = nodePath === rootPath;
        const relPath = isRoot ? (entry.isDirectory() ? '.' : rootPath.slice(rootPath.lastIndexOf('/') + 1) || '/') : nodePath.slice(rootPath === '/' ? 1 : rootPath.length + 1);
        const shown = !options.types || kindMatches(entry, options.types);
        if (shown && !(isRoot && options.skipRoot && entry.isDirectory())) {
          const item: WalkItem = {nodePath, relPath, info: entry, hostPath};
          if (entry.isSymbolicLink()) {
            try {
              item.link = await readlink(hostPath);
            } catch (error) {
              item.error = new NodePathError('readlink', nodePath, errnoOf(error)).message;
            }
          }
          yield item;
        }
        // Talos's atMaxDepth: the root is always read; below it, stop at the limit.
        const descend = entry.isDirectory() && (isRoot || options.maxDepth < 0 || slashes(nodePath) - rootSlashes < options.maxDepth);
        if (descend) {
          let folder: OpenFolder | undefined;
          try {
            folder = await fs.openFolder(hostPath, nodePath);
            stack.push({folder, names: await fs.readFolderNames(folder), next: 0});
          } catch (error) {
            if (folder && stack[stack.length - 1]?.folder !== folder) await folder.handle.close();
            yield {nodePath, relPath: '', error: (error as Error).message};
          }
        }
        continue;
      }
      const top = stack[stack.length - 1];
      if (!top) return;
      if (top.next >= top.names.length) {
        stack.pop();
        await top.folder.handle.close();
        continue;
      }
      const {name, invalid} = top.names[top.next++];
      const childPath = joinNodePath(top.folder.nodePath, name);
      if (invalid) {
        // Not representable in the API's strings (Go's proto marshal refuses it too); the lossy
        // form could even name a different entry of the same folder, so it is never looked up.
        yield {nodePath: childPath, relPath: '', error: new NodePathError('lstat', childPath, 'EILSEQ', 'file name is not valid UTF-8').message};
        continue;
      }
      const childHost = fs.entryHostPath(top.folder, name);
      let child: Stats;
      try {
        child = await lstat(childHost);
      } catch (error) {
        // An entry that vanished since the folder was read is no news (Go's Walk skips it too).
        if (errnoOf(error) !== 'ENOENT') yield {nodePath: childPath, relPath: '', error: new NodePathError('lstat', childPath, errnoOf(error)).message};
        continue;
      }
      pending = {nodePath: childPath, hostPath: childHost, entry: child};
    }
  } finally {
    for (const frame of stack.reverse()) await frame.folder.handle.close().catch(() => undefined);
  }
}
