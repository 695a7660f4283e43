// A read-only reader of bbolt files (etcd's backend: a snapshot, or a member's `member/snap/db`),
// written from the on-disk format (etcd-snapshots.md §5), for hostile input: pages are read on
// demand (a few MiB cached, whatever the file's size), every offset is checked before it is used,
// and a damaged structure becomes an integrity error, never an exception from deep inside or a
// loop. bbolt structures are little-endian; etcd's own keys and integers are big-endian.
import * as fs from 'node:fs';

export const BRANCH_PAGE = 0x01;
export const LEAF_PAGE = 0x02;
const META_PAGE = 0x04;
const FREELIST_PAGE = 0x10;
/** leaf element flag: the value is a nested bucket */
const BUCKET_LEAF = 0x01;

const PAGE_HEADER = 16;
const ELEMENT = 16;
const BUCKET_HEADER = 16;
const MAGIC = 0xed0cdaed;
const VERSION = 2;
const NO_FREELIST = 0xffffffffffffffffn;
/** deeper than any real tree (bbolt's pages hold ≥ 2 keys each): a deeper one is a cycle or garbage */
const MAX_DEPTH = 64;
/** nested buckets deeper than this are not walked (etcd has none) */
export const MAX_BUCKET_DEPTH = 16;
/** integrity errors collected before the walk gives up (a garbage page yields one per element) */
const MAX_ERRORS = 100;
/** How much of the file is cached: `windows` pieces of `windowBytes` (a multiple of the page size). */
export interface ReadCache {
  windowBytes: number;
  windows: number;
}

// 32 × 256 KiB: the tree walk jumps about the file; smaller windows read less of it more than once
// (1.26× the file's size on a 207 MB snapshot, where 8 × 1 MiB read 1.63×).
const DEFAULT_CACHE: ReadCache = {windowBytes: 256 << 10, windows: 32};

/** A file that is not a usable bbolt database at all (no valid meta page, truncated, unreadable). */
export class SnapshotFileError extends Error {
  override name = 'SnapshotFileError';
}

export interface BoltMeta {
  pageSize: number;
  /** root bucket's page */
  root: number;
  freelist: bigint;
  /** high-water mark: pages in use; Size = pgid × pageSize */
  pgid: number;
  txid: bigint;
}

/** Integrity problems found while walking (bbolt tx.Check's kind), collected and reported together. */
export class IntegrityErrors {
  readonly list: string[] = [];
  count = 0;

  add(message: string): void {
    this.count++;
    if (this.list.length < MAX_ERRORS) this.list.push(message);
  }

  get full(): boolean {
    return this.count >= MAX_ERRORS;
  }
}

/** FNV-1a 64 of bytes[start, end) */
function fnv1a64(bytes: Uint8Array, start: number, end: number): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = start; i < end; i++) h = BigInt.asUintN(64, (h ^ BigInt(bytes[i])) * 0x100000001b3n);
  return h;
}

/** Little-endian integers read byte by byte: cheaper than Buffer's checked methods in the walk's inner loop. */
function u16(b: Buffer, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

function u32(b: Buffer, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
}

/** The meta at `offset` of `page`, or why it is not valid. */
function parseMeta(page: Buffer, offset: number): BoltMeta | string {
  if (page.length < offset + 64) return 'too short';
  if (page.readUInt32LE(offset) !== MAGIC) return 'invalid magic';
  if (page.readUInt32LE(offset + 4) !== VERSION) return `unsupported version ${page.readUInt32LE(offset + 4)}`;
  if (page.readBigUInt64LE(offset + 56) !== fnv1a64(page, offset, offset + 56)) return 'checksum mismatch';
  const pageSize = page.readUInt32LE(offset + 8);
  if (pageSize < 512 || pageSize > 1 << 20 || (pageSize & (pageSize - 1)) !== 0) return `invalid page size ${pageSize}`;
  const root = page.readBigUInt64LE(offset + 16);
  const pgid = page.readBigUInt64LE(offset + 40);
  if (pgid > BigInt(Number.MAX_SAFE_INTEGER) || root >= pgid) return `invalid root page ${root} (high-water mark ${pgid})`;
  return {pageSize, root: Number(root), freelist: page.readBigUInt64LE(offset + 32), pgid: Number(pgid), txid: page.readBigUInt64LE(offset + 48)};
}

/** One page (with its overflow pages) or an inline bucket's pseudo page: bytes [start, end) of buf. */
export interface PageView {
  buf: Buffer;
  start: number;
  end: number;
  flags: number;
  count: number;
  /** real page id, or -1 for an inline page */
  pgid: number;
}

/** The pages of one bbolt file, read on demand; also marks each page as seen (double references). */
export class BoltFile {
  private readonly windows = new Map<number, Buffer>();
  private readonly seen: Uint8Array;
  /** pages read so far (for the caller's pacing) */
  pagesRead = 0;

  private constructor(
    private readonly fd: number,
    readonly size: number,
    readonly meta: BoltMeta,
    readonly errors: IntegrityErrors,
    private readonly cache: ReadCache,
  ) {
    this.seen = new Uint8Array(Math.ceil(meta.pgid / 8));
    this.markSeen(0, 2); // the meta pages
  }

  /** Opens `path` and picks its meta; throws SnapshotFileError when it is no bbolt file. */
  static open(path: string, cache: ReadCache = DEFAULT_CACHE): BoltFile {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (err) {
      throw new SnapshotFileError(`cannot open ${JSON.stringify(path)}: ${describeFsError(err)}`);
    }
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) throw new SnapshotFileError(`${JSON.stringify(path)} is not a regular file`);
      const meta = readMeta(fd, stat.size, path);
      const needed = meta.pgid * meta.pageSize;
      if (stat.size < needed) {
        throw new SnapshotFileError(
          `${JSON.stringify(path)} is truncated: it holds ${stat.size} bytes, its header says ${needed} (${meta.pgid} pages of ${meta.pageSize} bytes)`,
        );
      }
      return new BoltFile(fd, stat.size, meta, new IntegrityErrors(), cache);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private read(offset: number, length: number): Buffer {
    return this.readInto(Buffer.allocUnsafe(length), offset);
  }

  /** Fills `buf` from `offset` (less at the end of the file: the result is then shorter). */
  private readInto(buf: Buffer, offset: number): Buffer {
    const length = buf.length;
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, buf, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? buf : buf.subarray(0, done);
  }

  /** bytes [offset, offset + length) of the file, through the small cache of windows */
  private bytes(offset: number, length: number): Buffer {
    const {windowBytes: WINDOW, windows: CACHED_WINDOWS} = this.cache;
    const index = Math.floor(offset / WINDOW);
    if (offset + length > (index + 1) * WINDOW) return this.read(offset, length);
    let window = this.windows.get(index);
    if (window) {
      this.windows.delete(index); // most recently used goes last
    } else {
      // The least recently used window's memory is reused (fresh 1 MiB buffers cost page faults
      // and garbage): what callers keep across reads is copied (see stable pages, BucketCursor).
      let memory: Buffer | undefined;
      if (this.windows.size >= CACHED_WINDOWS) {
        const oldest = this.windows.keys().next().value!;
        memory = this.windows.get(oldest)!;
        this.windows.delete(oldest);
      }
      // the whole 1 MiB again (the last window of the file was only partly filled)
      memory = memory ? Buffer.from(memory.buffer, memory.byteOffset, WINDOW) : Buffer.allocUnsafe(WINDOW);
      window = this.readInto(memory, index * WINDOW);
    }
    this.windows.set(index, window);
    const at = offset - index * WINDOW;
    return window.subarray(at, at + length);
  }

  private markSeen(first: number, count: number): boolean {
    let fresh = true;
    for (let p = first; p < first + count; p++) {
      const bit = 1 << (p & 7);
      if (this.seen[p >> 3] & bit) fresh = false;
      this.seen[p >> 3] |= bit;
    }
    return fresh;
  }

  /**
   * Page `pgid` of a tree, checked: in bounds, referenced once, a branch or leaf page with its own
   * id, elements inside its span. Undefined (with the error recorded) when it is not usable.
   */
  treePage(pgid: number, referrer: string, stable = false): PageView | undefined {
    const {pageSize, pgid: highWater} = this.meta;
    if (!Number.isSafeInteger(pgid) || pgid < 2 || pgid >= highWater) {
      this.errors.add(`page ${pgid}: out of bounds: ${highWater} (referenced by ${referrer})`);
      return undefined;
    }
    const header = this.bytes(pgid * pageSize, PAGE_HEADER);
    const flags = u16(header, 8);
    const count = u16(header, 10);
    const overflow = u32(header, 12);
    if (pgid + overflow >= highWater) {
      this.errors.add(`page ${pgid}: overflow of ${overflow} pages runs past the high-water mark ${highWater}`);
      return undefined;
    }
    if (!this.markSeen(pgid, overflow + 1)) {
      this.errors.add(`page ${pgid}: multiple references (referenced by ${referrer})`);
      return undefined;
    }
    if (u32(header, 0) + u32(header, 4) * 0x100000000 !== pgid) {
      this.errors.add(`page ${pgid}: invalid id ${header.readBigUInt64LE(0)}`);
      return undefined;
    }
    if (flags !== BRANCH_PAGE && flags !== LEAF_PAGE) {
      this.errors.add(`page ${pgid}: invalid type: ${pageTypeName(flags)} (referenced by ${referrer})`);
      return undefined;
    }
    this.pagesRead += overflow + 1;
    const span = (overflow + 1) * pageSize;
    const view = this.bytes(pgid * pageSize, span);
    // A page that stays in use while others are read (a branch above its children, the root
    // bucket's leaf while buckets are walked) gets its own copy: windows are reused.
    const buf = stable || flags === BRANCH_PAGE ? Buffer.from(view) : view;
    return checkedPage({buf, start: 0, end: span, flags, count, pgid}, this.errors);
  }

  /** Marks the freelist page(s) as used, so a tree page that overlaps them counts as a double reference. */
  markFreelist(): void {
    const {freelist, pgid: highWater, pageSize} = this.meta;
    if (freelist === NO_FREELIST) return;
    if (freelist < 2n || freelist >= BigInt(highWater)) {
      this.errors.add(`freelist page ${freelist}: out of bounds: ${highWater}`);
      return;
    }
    const at = Number(freelist);
    const header = this.bytes(at * pageSize, PAGE_HEADER);
    const overflow = header.readUInt32LE(12);
    if (header.readUInt16LE(8) !== FREELIST_PAGE) this.errors.add(`page ${at}: invalid type: ${pageTypeName(header.readUInt16LE(8))} (the meta's freelist)`);
    else if (at + overflow >= highWater) this.errors.add(`page ${at}: freelist overflow runs past the high-water mark ${highWater}`);
    else this.markSeen(at, overflow + 1);
  }
}

function pageTypeName(flags: number): string {
  switch (flags) {
    case BRANCH_PAGE:
      return 'branch';
    case LEAF_PAGE:
      return 'leaf';
    case META_PAGE:
      return 'meta';
    case FREELIST_PAGE:
      return 'freelist';
    default:
      return `unknown<${flags.toString(16).padStart(2, '0')}>`;
  }
}

/** The element table must fit in the page; undefined (recorded) when it does not. */
function checkedPage(page: PageView, errors: IntegrityErrors): PageView | undefined {
  const where = page.pgid < 0 ? 'inline bucket page' : `page ${page.pgid}`;
  if (page.flags === BRANCH_PAGE && page.count === 0) {
    errors.add(`${where}: branch page without elements`);
    return undefined;
  }
  if (page.start + PAGE_HEADER + page.count * ELEMENT > page.end) {
    errors.add(`${where}: ${page.count} elements do not fit in ${page.end - page.start} bytes`);
    return undefined;
  }
  return page;
}

function readMeta(fd: number, size: number, path: string): BoltMeta {
  const what = JSON.stringify(path);
  if (size < 1024) throw new SnapshotFileError(`${what} is not an etcd snapshot: ${size} bytes is too small for a bbolt database`);
  const first = Buffer.alloc(4096);
  fs.readSync(fd, first, 0, first.length, 0);
  const meta0 = parseMeta(first, PAGE_HEADER);
  // meta 1 lives one page further; without a valid meta 0 its page size is unknown, so try the usual ones.
  const sizes = typeof meta0 === 'object' ? [meta0.pageSize] : [4096, 8192, 16384, 32768, 65536, 1024, 2048];
  let meta1: BoltMeta | string = 'beyond the end of the file';
  for (const pageSize of sizes) {
    if (size < 2 * pageSize) continue;
    const page = Buffer.alloc(PAGE_HEADER + 64);
    fs.readSync(fd, page, 0, page.length, pageSize);
    meta1 = parseMeta(page, PAGE_HEADER);
    if (typeof meta1 === 'object') {
      if (meta1.pageSize !== pageSize) meta1 = `page size ${meta1.pageSize} does not match its position`;
      else break;
    }
  }
  if (typeof meta0 === 'object' && typeof meta1 === 'object') return meta1.txid > meta0.txid ? meta1 : meta0;
  if (typeof meta0 === 'object') return meta0;
  if (typeof meta1 === 'object') return meta1;
  throw new SnapshotFileError(`${what} is not an etcd snapshot: no valid bbolt meta page (meta 0: ${meta0}; meta 1: ${meta1})`);
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return /^[A-Z]+: (.*?), \w+/.exec(e.message)?.[1] ?? e.message;
}

interface Frame {
  page: PageView;
  next: number;
  depth: number;
}

/**
 * Iterates one bucket's key/values in key order (bbolt's ForEach), depth first through its
 * B+tree, checking each element's bounds and that keys ascend. A damaged page is recorded in the
 * file's errors and skipped. Each `next()` that returns true points the cursor's fields at the
 * element in `buf` (nothing is allocated per element: a 200 MB snapshot has ~50,000 of them):
 * key = buf[keyStart, keyEnd), value (or a nested bucket's header, `isBucket`) = buf[keyEnd,
 * valueEnd). The bytes are valid until the cursor reads its next page: copy what must last longer.
 */
export class BucketCursor {
  private readonly stack: Frame[] = [];
  /** the previous key (order check): bytes [lastStart, lastEnd) of lastBuf */
  private lastBuf: Buffer | undefined;
  private lastStart = 0;
  private lastEnd = 0;
  buf: Buffer = Buffer.alloc(0);
  keyStart = 0;
  keyEnd = 0;
  valueEnd = 0;
  isBucket = false;

  constructor(private readonly file: BoltFile, root: PageView | undefined, private readonly name: string) {
    if (root) this.stack.push({page: root, next: 0, depth: 0});
  }

  /** the current key (a view: see the class) */
  key(): Buffer {
    return this.buf.subarray(this.keyStart, this.keyEnd);
  }

  /** the current value, or a nested bucket's header (a view: see the class) */
  raw(): Buffer {
    return this.buf.subarray(this.keyEnd, this.valueEnd);
  }

  /** Leaves the current page; the next one may reuse its memory, so the last key (order check) is copied. */
  private pop(): void {
    const frame = this.stack.pop();
    if (frame?.page.flags === LEAF_PAGE && this.lastBuf) {
      this.lastBuf = Buffer.from(this.lastBuf.subarray(this.lastStart, this.lastEnd));
      this.lastStart = 0;
      this.lastEnd = this.lastBuf.length;
    }
  }

  next(): boolean {
    const errors = this.file.errors;
    while (this.stack.length > 0 && !errors.full) {
      const top = this.stack[this.stack.length - 1];
      const {page} = top;
      if (top.next >= page.count) {
        this.pop();
        continue;
      }
      const i = top.next++;
      const buf = page.buf;
      const at = page.start + PAGE_HEADER + i * ELEMENT;
      if (page.flags === BRANCH_PAGE) {
        const where = page.pgid < 0 ? `inline bucket ${this.name}` : `page ${page.pgid}`;
        if (top.depth + 1 >= MAX_DEPTH) {
          errors.add(`${where}: tree deeper than ${MAX_DEPTH} levels`);
          this.pop();
          continue;
        }
        const low = u32(buf, at + 8);
        const high = u32(buf, at + 12);
        const child = high < 0x200000 ? high * 0x100000000 + low : -1; // beyond 2^53: no page of ours
        const childPage = this.file.treePage(child, `${where} element ${i}`);
        if (childPage) this.stack.push({page: childPage, next: 0, depth: top.depth + 1});
        continue;
      }
      const flags = u32(buf, at);
      const pos = u32(buf, at + 4);
      const ksize = u32(buf, at + 8);
      const vsize = u32(buf, at + 12);
      const keyStart = at + pos;
      const keyEnd = keyStart + ksize;
      const valueEnd = keyEnd + vsize;
      if (valueEnd > page.end) {
        const where = page.pgid < 0 ? `inline bucket ${this.name}` : `page ${page.pgid}`;
        errors.add(`${where}: element ${i} (key ${ksize} bytes, value ${vsize} bytes) runs past the page's end`);
        this.pop();
        continue;
      }
      if (this.lastBuf && this.lastBuf.compare(buf, keyStart, keyEnd, this.lastStart, this.lastEnd) >= 0) {
        const where = page.pgid < 0 ? `inline bucket ${this.name}` : `page ${page.pgid}`;
        errors.add(`${where}: keys out of order in bucket ${this.name} at element ${i}`);
        this.pop();
        continue;
      }
      this.lastBuf = buf;
      this.lastStart = keyStart;
      this.lastEnd = keyEnd;
      this.buf = buf;
      this.keyStart = keyStart;
      this.keyEnd = keyEnd;
      this.valueEnd = valueEnd;
      this.isBucket = (flags & BUCKET_LEAF) !== 0;
      return true;
    }
    return false;
  }
}

/** The root page of a nested bucket from its entry's value (inline or paged); undefined (recorded) when damaged. */
export function bucketRoot(file: BoltFile, raw: Buffer, name: string): PageView | undefined {
  if (raw.length < BUCKET_HEADER) {
    file.errors.add(`bucket ${name}: header of ${raw.length} bytes`);
    return undefined;
  }
  const root = raw.readBigUInt64LE(0);
  if (root !== 0n) return file.treePage(root > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(root), `bucket ${name}`);
  if (raw.length < BUCKET_HEADER + PAGE_HEADER) {
    file.errors.add(`bucket ${name}: inline bucket of ${raw.length} bytes`);
    return undefined;
  }
  const flags = raw.readUInt16LE(BUCKET_HEADER + 8);
  if (flags !== LEAF_PAGE) {
    file.errors.add(`bucket ${name}: inline page of type ${pageTypeName(flags)}`);
    return undefined;
  }
  // a copy: the page that holds it may be reused while the bucket is walked
  return checkedPage({buf: Buffer.from(raw), start: BUCKET_HEADER, end: raw.length, flags, count: raw.readUInt16LE(BUCKET_HEADER + 10), pgid: -1}, file.errors);
}
