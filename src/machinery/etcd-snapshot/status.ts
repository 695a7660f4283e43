// What `etcdutl snapshot status` (3.6+, which talosctl uses) says about a snapshot, computed by our
// own reader: after an integrity walk, the hash is CRC-32C over every top-level bucket's name and
// its keys and values in order (no lengths, no separators), the revision is the main revision of
// the last key of bucket `key`, total keys the number of distinct live user keys (each `key`
// value's mvccpb.KeyValue key, added by a put, removed by a tombstone), total size bolt's
// tx.Size() = high-water page × page size. Also the sha256 trailer etcd appends to a snapshot stream.
import {createHash} from 'node:crypto';
import * as fs from 'node:fs';
import {setImmediate as yieldToEventLoop} from 'node:timers/promises';
import {BoltFile, BucketCursor, bucketRoot, MAX_BUCKET_DEPTH, SnapshotFileError, type ReadCache} from './bbolt.js';
import {Crc32c} from './crc32c.js';

export {SnapshotFileError} from './bbolt.js';

export interface SnapshotStatus {
  /** CRC-32C, printed %08x */
  hash: number;
  /** main revision of the last key in bucket `key` (int64) */
  revision: bigint;
  /** distinct live user keys (etcdutl ≥ 3.6) */
  totalKey: number;
  /** every key/value pair of every top-level bucket (what etcdctl 3.4/3.5 print as total keys) */
  totalPairs: number;
  /** bytes of the bbolt data: the file without the trailer */
  totalSize: number;
}

/** The bytes in the snapshot's `key` bucket that mark a tombstone revision (17-byte revision + 't'). */
const TOMBSTONE_REVISION_BYTES = 18;
const TOMBSTONE_MARK = 0x74;
/** pages read between two turns of the event loop (so Ctrl-C is seen during a multi-GB walk) */
const PAGES_PER_TURN = 4096;

/** The status line's numbers, as talosctl prints them (`hash %08x, revision N, total keys N, total size N`). */
export function describeStatus(status: SnapshotStatus): string {
  return `hash ${status.hash.toString(16).padStart(8, '0')}, revision ${status.revision}, total keys ${status.totalKey}, total size ${status.totalSize}`;
}

/**
 * Reads `path` as an etcd snapshot. Throws SnapshotFileError with a sentence naming the problem:
 * no bbolt file, truncated, or `snapshot file integrity check failed. N errors found.` with the list.
 */
export async function snapshotStatus(path: string, signal?: AbortSignal, cache?: ReadCache): Promise<SnapshotStatus> {
  const file = BoltFile.open(path, cache);
  try {
    return await walk(file, signal);
  } finally {
    file.close();
  }
}

async function walk(file: BoltFile, signal: AbortSignal | undefined): Promise<SnapshotStatus> {
  const crc = new Crc32c();
  const live = new Set<string>();
  // the last revision key's main revision, as two 32-bit halves (a BigInt per key cost more than the rest of its handling)
  let revisionHigh = 0;
  let revisionLow = 0;
  let totalPairs = 0;
  let pacedAt = 0;
  const decodeErrors: string[] = [];
  file.markFreelist();
  const roots = new BucketCursor(file, file.treePage(file.meta.root, 'the meta', true), '<root>');
  while (roots.next()) {
    const name = roots.key();
    if (!roots.isBucket) {
      file.errors.add(`root element ${JSON.stringify(name.toString('latin1'))} is not a bucket`);
      continue;
    }
    const label = JSON.stringify(name.toString('latin1'));
    crc.update(name);
    const isKeyBucket = name.length === 3 && name.toString('latin1') === 'key';
    // Nested buckets are walked for integrity only (bbolt's ForEach hashes their key with a nil value).
    // Each bucket's cursor is made when it is walked: its first page is read then (windows are reused).
    const pending: Array<{raw: Buffer; name: string; depth: number}> = [{raw: roots.raw(), name: label, depth: 0}];
    while (pending.length > 0) {
      const {raw, name: bucketName, depth} = pending.pop()!;
      const cursor = new BucketCursor(file, bucketRoot(file, raw, bucketName), bucketName);
      while (cursor.next()) {
        if (file.pagesRead - pacedAt >= PAGES_PER_TURN) {
          pacedAt = file.pagesRead;
          await yieldToEventLoop();
          signal?.throwIfAborted();
        }
        if (depth > 0) continue;
        totalPairs++;
        const {buf, keyStart, keyEnd, valueEnd} = cursor;
        if (cursor.isBucket) {
          crc.update(buf, keyStart, keyEnd);
          if (depth + 1 < MAX_BUCKET_DEPTH) {
            const nested = `${label}/${JSON.stringify(buf.toString('latin1', keyStart, keyEnd))}`;
            pending.push({raw: Buffer.from(cursor.raw()), name: nested, depth: depth + 1});
          }
          continue;
        }
        // key and value lie next to each other in the page: one piece to hash
        crc.update(buf, keyStart, valueEnd);
        if (!isKeyBucket) continue;
        const keyLength = keyEnd - keyStart;
        if (keyLength < 8) {
          if (decodeErrors.length < 10) decodeErrors.push(`revision key of ${keyLength} bytes`);
          continue;
        }
        revisionHigh = buf.readInt32BE(keyStart);
        revisionLow = buf.readUInt32BE(keyStart + 4);
        const userKey = keyValueKey(buf, keyEnd, valueEnd);
        if (userKey === undefined) {
          if (decodeErrors.length < 10) decodeErrors.push(`value at revision ${revisionOf(revisionHigh, revisionLow)} is not an mvccpb.KeyValue`);
          continue;
        }
        if (keyLength === TOMBSTONE_REVISION_BYTES && buf[keyStart + 17] === TOMBSTONE_MARK) live.delete(userKey);
        else live.add(userKey);
      }
    }
  }
  const {errors} = file;
  if (errors.count > 0) {
    const more = errors.count > errors.list.length ? `\n(stopped after ${errors.list.length} errors)` : '';
    throw new SnapshotFileError(`snapshot file integrity check failed. ${errors.count} errors found.\n${errors.list.join('\n')}${more}`);
  }
  if (decodeErrors.length > 0) throw new SnapshotFileError(`error during bucket key iteration: ${decodeErrors.join('; ')}`);
  return {hash: crc.digest(), revision: revisionOf(revisionHigh, revisionLow), totalKey: live.size, totalPairs, totalSize: file.meta.pgid * file.meta.pageSize};
}

/** An int64 from its signed high and unsigned low 32 bits. */
function revisionOf(high: number, low: number): bigint {
  return (BigInt(high) << 32n) | BigInt(low);
}

/**
 * Field 1 (key) of a protobuf-encoded mvccpb.KeyValue, as a map key; undefined when the bytes are
 * not a well-formed message (every field is walked, as an Unmarshal would).
 */
export function keyValueKey(bytes: Buffer, start = 0, end = bytes.length): string | undefined {
  let key = '';
  let i = start;
  const varint = (): number | undefined => {
    let result = 0;
    let scale = 1;
    for (let n = 0; n < 10; n++) {
      if (i >= end) return undefined;
      const b = bytes[i++];
      result += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return result;
    }
    return undefined;
  };
  while (i < end) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) return undefined;
    if (wire === 0) {
      if (varint() === undefined) return undefined;
    } else if (wire === 2) {
      const length = varint();
      if (length === undefined || i + length > end) return undefined;
      if (field === 1) key = bytes.toString('latin1', i, i + length);
      i += length;
    } else if (wire === 1 || wire === 5) {
      i += wire === 1 ? 8 : 4;
      if (i > end) return undefined;
    } else {
      return undefined;
    }
  }
  return key;
}

export interface SnapshotTrailer {
  /** size % 512 == 32: etcd's rule for "a sha256 digest follows the database" */
  present: boolean;
  /** sha256 of everything before the last 32 bytes equals them (false when absent) */
  valid: boolean;
  size: number;
  /** the last 32 bytes and the digest of what precedes them, hex (when present) */
  expected?: string;
  actual?: string;
}

/** talosctl's rule for a downloaded snapshot: the stream must end with a digest. */
export function hasTrailerSize(size: number): boolean {
  return size % 512 === 32;
}

const DIGEST_BYTES = 32;

/**
 * The sha256 trailer check over bytes fed in order (a download as it arrives, or a file read
 * once): everything but the last 32 bytes is hashed, those are kept to compare at the end.
 */
export class TrailerDigest {
  private readonly hash = createHash('sha256');
  private tail = Buffer.alloc(0);
  size = 0;

  update(bytes: Uint8Array): void {
    this.size += bytes.length;
    if (bytes.length >= DIGEST_BYTES) {
      this.hash.update(this.tail);
      this.hash.update(bytes.subarray(0, bytes.length - DIGEST_BYTES));
      this.tail = Buffer.from(bytes.subarray(bytes.length - DIGEST_BYTES));
      return;
    }
    const joined = Buffer.concat([this.tail, bytes]);
    const cut = Math.max(0, joined.length - DIGEST_BYTES);
    this.hash.update(joined.subarray(0, cut));
    this.tail = joined.subarray(cut);
  }

  result(): SnapshotTrailer {
    if (!hasTrailerSize(this.size)) return {present: false, valid: false, size: this.size};
    const actual = this.hash.digest('hex');
    const expected = this.tail.toString('hex');
    return {present: true, valid: actual === expected, size: this.size, expected, actual};
  }
}

/** Checks the sha256 trailer of a file by reading it once, in 1 MiB pieces. */
export async function snapshotTrailer(path: string, signal?: AbortSignal): Promise<SnapshotTrailer> {
  const handle = await fs.promises.open(path, 'r');
  try {
    const {size} = await handle.stat();
    if (!hasTrailerSize(size)) return {present: false, valid: false, size};
    const digest = new TrailerDigest();
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let at = 0; at < size;) {
      signal?.throwIfAborted();
      const {bytesRead} = await handle.read(buf, 0, Math.min(buf.length, size - at), at);
      if (bytesRead === 0) throw new SnapshotFileError(`${JSON.stringify(path)} shrank while being read`);
      digest.update(buf.subarray(0, bytesRead));
      at += bytesRead;
    }
    return digest.result();
  } finally {
    await handle.close();
  }
}
