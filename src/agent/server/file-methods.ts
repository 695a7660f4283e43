// List, Read, Copy and DiskUsage over the node's filesystem (talos-behaviour.md items 29–34; Talos's
// server `List`, `Read`, `Copy`, `DiskUsage` and pkg/archiver). Every path goes through NodeFs, so
// nothing outside the state folder (and the host's /proc and /sys) is named, opened or reported.
// Every stream waits for the client (the sink's send), so a huge tree or file costs only what is
// in flight; a cancelled call stops the walk or read at the next entry or chunk.
import type {Stats} from 'node:fs';
import {lstat} from 'node:fs/promises';
import {createGzip} from 'node:zlib';
import {status} from '@grpc/grpc-js';
import {pack as tarPack, type Header as TarHeadersFull} from 'tar-stream';
import type {Data} from '../../machinery/api/common/common.js';
import {
  ListRequest_Type, MachineServiceService, type DiskUsageInfo, type FileInfo,
} from '../../machinery/api/machine/machine.js';
import {errnoOf, goFileMode, NodeFs, NodePathError, walkNode, type WalkItem} from '../inside/node-fs.js';
import type {NodeInside} from '../inside/node-inside.js';
import {serverStreamMethod, type LocalMethod} from './methods.js';
import {RpcError} from './rpc-error.js';
import {plainError} from './service-methods.js';
import type {ResponseStream} from './stream-sink.js';

type TarHeaders = Partial<TarHeadersFull> & {name: string};

/**
 * The most bytes per common.Data of Read and Copy. Talos's chunker sends 1 KiB messages
 * (pkg/chunker/stream); every client (talosctl, osctl) only concatenates them, so osd sends 64 KiB:
 * grpc-js's cost is per message, and 1 KiB messages held `read` of 1 GiB at 8 MiB/s through a hop.
 */
export const CHUNK_BYTES = 64 * 1024;
/** How much is read from disk at once; sent in CHUNK_BYTES pieces. */
const READ_BYTES = 64 * 1024;
/** Copy's probe of files that report size 0 (procfs): one read of up to this much (pkg/archiver/tar.go). */
const PROBE_BYTES = 4096;

export function fileMethods(inside: NodeInside): Array<[string, LocalMethod]> {
  const fs = new NodeFs(inside.root);
  return [
    serverStreamMethod(MachineServiceService.list, async (request, {signal}, stream) => {
      await list(fs, request, signal, stream);
    }),
    serverStreamMethod(MachineServiceService.read, async (request, {signal}, stream) => {
      await read(fs, request.path, signal, stream);
    }),
    serverStreamMethod(MachineServiceService.copy, async (request, {signal}, stream) => {
      await copy(fs, request.rootPath, signal, stream);
    }),
    serverStreamMethod(MachineServiceService.diskUsage, async (request, {signal}, stream) => {
      await diskUsage(fs, request, signal, stream);
    }),
  ];
}

/** Talos's root normalisation for List and DiskUsage: a leading `/` added, a trailing one trimmed. */
function normaliseRoot(path: string): string {
  let root = path.startsWith('/') ? path : '/' + path;
  if (root.endsWith('/')) root = root.slice(0, -1);
  return root === '' ? '/' : root;
}

/** A walk's failure to start (missing root, ...) as the RPC error Talos returns: a plain one. */
function walkStartError(error: unknown): never {
  if (error instanceof NodePathError) throw plainError(error.message);
  throw error;
}

// ---- List ----

async function list(
  fs: NodeFs,
  request: {root: string; recurse: boolean; recursionDepth: number; types: ListRequest_Type[]; reportXattrs: boolean},
  signal: AbortSignal,
  stream: ResponseStream<FileInfo>,
): Promise<void> {
  const root = normaliseRoot(request.root);
  // Without recurse, the root and its children whatever the depth says (item A-C3).
  const maxDepth = request.recurse ? (request.recursionDepth === 0 ? -1 : request.recursionDepth) : 0;
  let types: Set<'regular' | 'directory' | 'symlink'> | undefined;
  if (request.types.length > 0) {
    types = new Set();
    for (const type of request.types) {
      if (type === ListRequest_Type.REGULAR) types.add('regular');
      else if (type === ListRequest_Type.DIRECTORY) types.add('directory');
      else if (type === ListRequest_Type.SYMLINK) types.add('symlink');
    }
  }
  const walk = walkNode(fs, root, {maxDepth, types, signal});
  let first: IteratorResult<WalkItem>;
  try {
    first = await walk.next();
  } catch (error) {
    walkStartError(error);
  }
  // report_xattrs: Node has no xattr call and osd uses no native module, so no xattrs are sent
  // (talosctl's LABEL column stays empty, as on a node without SELinux labels).
  try {
    for (let item = first; !item.done; item = await walk.next()) {
      if (signal.aborted) break;
      await stream.send(fileInfo(item.value));
    }
  } finally {
    await walk.return(undefined);
  }
}

function fileInfo(item: WalkItem): FileInfo {
  const base = {name: item.nodePath, relativeName: item.relPath, xattrs: []};
  if (item.error !== undefined || !item.info) {
    return {...base, size: 0n, mode: 0, modified: 0n, isDir: false, error: item.error ?? '', link: '', uid: 0, gid: 0};
  }
  const info = item.info;
  return {
    ...base,
    size: BigInt(info.size),
    mode: goFileMode(info.mode),
    modified: BigInt(Math.floor(info.mtimeMs / 1000)),
    isDir: info.isDirectory(),
    error: '',
    link: item.link ?? '',
    uid: info.uid,
    gid: info.gid,
  };
}

// ---- Read ----

async function read(fs: NodeFs, path: string, signal: AbortSignal, stream: ResponseStream<Data>): Promise<void> {
  let location;
  try {
    location = await fs.resolve(path, {followLast: true, op: 'stat'});
  } catch (error) {
    if (error instanceof NodePathError) {
      // Talos: a missing file is NotFound, anything else a plain error.
      if (error.code === 'ENOENT') throw new RpcError(status.NOT_FOUND, error.message);
      throw plainError(error.message);
    }
    throw error;
  }
  // What it is, before opening it: opening a device may already do something.
  let info: Stats;
  try {
    info = await lstat(location.hostPath);
  } catch (error) {
    throw plainError(new NodePathError('stat', path, errnoOf(error)).message);
  }
  if (!info.isFile()) throw plainError(`path must be a regular file: ${path} is ${kindText(info)}`);
  let handle;
  try {
    handle = await fs.openChecked(location.hostPath, path);
  } catch (error) {
    if (error instanceof NodePathError) throw plainError(error.message);
    throw error;
  }
  try {
    // The file may have been swapped between lstat and open: what was opened counts.
    const opened = await handle.stat();
    if (!opened.isFile()) throw plainError(`path must be a regular file: ${path} is ${kindText(opened)}`);
    // /proc files report size 0: read until EOF, whatever the size said.
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      if (signal.aborted) return;
      let bytesRead: number;
      try {
        ({bytesRead} = await handle.read(buffer, 0, buffer.length, null));
      } catch (error) {
        throw plainError(new NodePathError('read', path, errnoOf(error)).message);
      }
      if (bytesRead === 0) return;
      await sendChunked(stream, Buffer.from(buffer.subarray(0, bytesRead)));
    }
  } finally {
    await handle.close();
  }
}

/**
 * Sends `bytes` in messages of at most CHUNK_BYTES, each when the client has room.
 */
async function sendChunked(stream: ResponseStream<Data>, bytes: Buffer): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) await stream.send({bytes: bytes.subarray(offset, offset + CHUNK_BYTES)});
}

/** "a directory", "a named pipe (FIFO)", ... for the error naming what a path is instead of a file. */
function kindText(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

// ---- Copy ----

/**
 * A gzip-compressed tar of the tree at `rootPath`, as Talos's archiver.TarGz writes it: the root
 * folder is not an entry, folder names end in `/`, symlinks/devices/FIFOs are headers only,
 * files that report size 0 are probed, and per-entry failures are collected and sent after the
 * data as one `common.Data{metadata.error}` in go-multierror's wording (Talos's Copy does that).
 */
async function copy(fs: NodeFs, rootPath: string, signal: AbortSignal, stream: ResponseStream<Data>): Promise<void> {
  const cleaned = cleanPath(rootPath);
  if (!cleaned.startsWith('/')) throw plainError(`path is not absolute ${cleaned}`);
  const walk = walkNode(fs, cleaned, {maxDepth: -1, skipRoot: true, signal});
  let first: IteratorResult<WalkItem>;
  try {
    first = await walk.next();
  } catch (error) {
    // TarGz fails before any data: Talos sends the error as the stream's only message.
    if (error instanceof NodePathError) {
      await stream.send({metadata: {hostname: '', error: error.message}, bytes: new Uint8Array()});
      return;
    }
    throw error;
  }
  const failures: string[] = [];
  const tar = tarPack();
  const gzip = createGzip();
  // A cancelled call destroys both; their errors then are no news (and must not end osd).
  tar.on('error', () => undefined);
  gzip.on('error', () => undefined);
  tar.pipe(gzip);
  const producing = (async () => {
    try {
      for (let item = first; !item.done; item = await walk.next()) {
        if (signal.aborted) break;
        const failure = await addEntry(fs, tar, item.value, signal);
        if (signal.aborted) break;
        if (failure) failures.push(`skipping ${JSON.stringify(item.value.nodePath)}: ${failure}`);
      }
    } finally {
      await walk.return(undefined);
      tar.finalize();
    }
  })();
  // Sending waits for the client; the tar and gzip streams then fill up and the walk waits too.
  try {
    for await (const piece of gzip as AsyncIterable<Buffer>) {
      if (signal.aborted) break;
      await sendChunked(stream, piece);
    }
  } finally {
    if (signal.aborted) {
      tar.destroy();
      gzip.destroy();
    }
    await producing.catch(() => undefined);
  }
  if (signal.aborted) return;
  await producing;
  if (failures.length > 0) await stream.send({metadata: {hostname: '', error: multiErrorText(failures)}, bytes: new Uint8Array()});
}

/** go-multierror's default list format. */
export function multiErrorText(errors: readonly string[]): string {
  if (errors.length === 1) return `1 error occurred:\n\t* ${errors[0]}\n\n`;
  return `${errors.length} errors occurred:\n\t${errors.map((e) => `* ${e}`).join('\n\t')}\n\n`;
}

/** Go's filepath.Clean for the forms a request may hold. */
function cleanPath(path: string): string {
  if (path === '') return '.';
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  return absolute ? '/' + joined : joined || '.';
}

/** Adds one walked entry to the tar; returns why it was skipped, if it was. */
async function addEntry(fs: NodeFs, tar: ReturnType<typeof tarPack>, item: WalkItem, signal: AbortSignal): Promise<string | undefined> {
  if (item.error !== undefined || !item.info || !item.hostPath) return item.error ?? 'unknown error';
  const info = item.info;
  const header: TarHeaders = {
    name: info.isDirectory() ? `${item.relPath}/` : item.relPath,
    mode: info.mode & 0o7777,
    uid: info.uid,
    gid: info.gid,
    mtime: new Date(Math.floor(info.mtimeMs / 1000) * 1000),
    size: 0,
  };
  if (info.isDirectory()) header.type = 'directory';
  else if (info.isSymbolicLink()) {
    header.type = 'symlink';
    header.linkname = item.link ?? '';
  } else if (info.isCharacterDevice() || info.isBlockDevice()) {
    header.type = info.isCharacterDevice() ? 'character-device' : 'block-device';
    header.devmajor = Math.floor(info.rdev / 256) & 0xfff;
    header.devminor = (info.rdev & 0xff) | ((info.rdev >> 12) & 0xfff00);
  } else if (info.isFIFO()) header.type = 'fifo';
  else if (info.isSocket()) return 'archive/tar: sockets not supported';
  else if (!info.isFile()) return 'archive/tar: unknown file mode';
  if (header.type) {
    await writeEntry(tar, header, undefined, signal);
    return undefined;
  }
  header.type = 'file';
  let handle;
  try {
    handle = await fs.openChecked(item.hostPath, item.nodePath);
  } catch (error) {
    return error instanceof NodePathError ? error.message : String(error);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) return `open ${item.nodePath}: not a regular file any more`;
    let size = opened.size;
    let probe: Buffer | undefined;
    if (size === 0) {
      // procfs reports 0: one read tells whether there is a little data (kept) or more (archived empty).
      const buffer = Buffer.alloc(PROBE_BYTES);
      try {
        const {bytesRead} = await handle.read(buffer, 0, PROBE_BYTES, null);
        if (bytesRead > 0 && bytesRead < PROBE_BYTES) {
          probe = buffer.subarray(0, bytesRead);
          size = bytesRead;
        }
      } catch (error) {
        if (errnoOf(error) !== 'EINVAL') return new NodePathError('read', item.nodePath, errnoOf(error)).message;
      }
    }
    header.size = size;
    if (probe) {
      await writeEntry(tar, header, probe, signal);
      return undefined;
    }
    return await writeFileEntry(tar, header, handle, item.nodePath, signal);
  } finally {
    await handle.close();
  }
}

/** Adds a whole entry; resolves when the tar took it, or at once when the call was cancelled (the tar is then destroyed). */
function writeEntry(tar: ReturnType<typeof tarPack>, header: TarHeaders, data: Buffer | undefined, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve();
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, {once: true});
    tar.entry(header, data ?? Buffer.alloc(0), (error) => {
      signal.removeEventListener('abort', onAbort);
      if (error && !signal.aborted) reject(error);
      else resolve();
    });
  });
}

/**
 * Streams a file's `header.size` bytes into the tar, waiting whenever the tar is full. A file that
 * grew is cut at the size announced (Go's tar ignores the long write); one that shrank is padded
 * with zeros so the archive stays readable, and reported.
 */
async function writeFileEntry(
  tar: ReturnType<typeof tarPack>, header: TarHeaders, handle: import('node:fs/promises').FileHandle, nodePath: string, signal: AbortSignal,
): Promise<string | undefined> {
  const size = header.size ?? 0;
  let finished!: Promise<void>;
  const entry = tar.entry(header);
  finished = new Promise((resolve, reject) => {
    entry.once('finish', resolve);
    entry.once('close', resolve);
    entry.once('error', (error) => (signal.aborted ? resolve() : reject(error)));
    signal.addEventListener('abort', () => resolve(), {once: true});
  });
  let written = 0;
  let failure: string | undefined;
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  while (written < size && !signal.aborted) {
    let bytesRead = 0;
    try {
      ({bytesRead} = await handle.read(buffer, 0, Math.min(buffer.length, size - written), null));
    } catch (error) {
      failure = new NodePathError('read', nodePath, errnoOf(error)).message;
    }
    if (failure || bytesRead === 0) break;
    written += bytesRead;
    if (!entry.write(Buffer.from(buffer.subarray(0, bytesRead)))) await waitDrain(entry, signal);
  }
  if (written < size && !signal.aborted) {
    failure ??= `archive/tar: file ${nodePath} shrank while being read (${written} of ${size} bytes; the rest is zeros)`;
    let missing = size - written;
    while (missing > 0) {
      const zeros = Buffer.alloc(Math.min(missing, READ_BYTES));
      missing -= zeros.length;
      if (!entry.write(zeros)) await waitDrain(entry, signal);
    }
  }
  if (signal.aborted) {
    entry.destroy(new Error('cancelled'));
    return undefined;
  }
  entry.end(undefined);
  await finished;
  return failure;
}

function waitDrain(entry: NodeJS.EventEmitter, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      entry.off('drain', done);
      entry.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    entry.once('drain', done);
    entry.once('close', done);
    signal.addEventListener('abort', done, {once: true});
  });
}

// ---- DiskUsage ----

interface FolderTotal {
  info: DiskUsageInfo;
  depth: number;
}

/**
 * Talos's DiskUsage: per path, the walk's folders with the apparent size of everything under them
 * (their own size included), emitted once complete (after their contents), files too with `all`;
 * entries at depth ≥ recursion_depth (when > 0), below a positive threshold or above a negative
 * one's magnitude are left out but still counted. Depth is Talos's slash count, so a root of `/`
 * shows one level more. Talos stops after the first path (a `return` in its loop); every path is
 * reported here, as `usage a b` promises.
 */
async function diskUsage(
  fs: NodeFs,
  request: {recursionDepth: number; all: boolean; threshold: bigint; paths: string[]},
  signal: AbortSignal,
  stream: ResponseStream<DiskUsageInfo>,
): Promise<void> {
  const threshold = Number(request.threshold);
  const skip = (size: number, depth: number, isDir: boolean): boolean =>
    (request.recursionDepth > 0 && depth >= request.recursionDepth) ||
    (!isDir && !request.all) ||
    (threshold > 0 && size < threshold) ||
    (threshold < 0 && size > -threshold);
  for (const requested of request.paths) {
    if (signal.aborted) return;
    const path = normaliseRoot(requested);
    const walk = walkNode(fs, path, {maxDepth: -1, signal});
    let first: IteratorResult<WalkItem>;
    try {
      first = await walk.next();
    } catch (error) {
      if (!(error instanceof NodePathError)) throw error;
      await stream.send({name: path, relativeName: path, size: 0n, error: error.message});
      continue;
    }
    const rootSlashes = slashes(first.done ? path : first.value.nodePath);
    // The folders still open on the way down, innermost last; each completes when the walk leaves it.
    const open: Array<FolderTotal & {size: number; prefix: string}> = [];
    const complete = async (folder: (typeof open)[number]) => {
      if (open.length > 0) open[open.length - 1].size += folder.size;
      if (!skip(folder.size, folder.depth, true)) await stream.send({...folder.info, size: BigInt(folder.size)});
    };
    try {
      for (let item = first; !item.done; item = await walk.next()) {
        if (signal.aborted) break;
        const entry = item.value;
        if (entry.error !== undefined || !entry.info) {
          await stream.send({name: entry.nodePath, relativeName: entry.relPath, size: 0n, error: entry.error ?? ''});
          continue;
        }
        // Leave the folders this entry is not inside of.
        while (open.length > 0 && !entry.nodePath.startsWith(open[open.length - 1].prefix)) await complete(open.pop()!);
        const depth = slashes(entry.nodePath) - rootSlashes;
        // /proc/kcore reports the size of the address space (Talos counts it as 0 too).
        const size = entry.nodePath === '/proc/kcore' ? 0 : Math.max(entry.info.size, 0);
        const info = {name: entry.nodePath, relativeName: entry.relPath, size: 0n, error: ''};
        if (entry.info.isDirectory()) {
          open.push({info, depth, size, prefix: entry.nodePath === '/' ? '/' : entry.nodePath + '/'});
        } else {
          if (open.length > 0) open[open.length - 1].size += size;
          if (!skip(size, depth, false)) await stream.send({...info, size: BigInt(size)});
        }
      }
    } finally {
      await walk.return(undefined);
    }
    while (open.length > 0 && !signal.aborted) await complete(open.pop()!);
  }
}

function slashes(path: string): number {
  let count = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) count++;
  return count;
}
