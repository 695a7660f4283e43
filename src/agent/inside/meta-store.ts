// A node's META: the key/value store Talos keeps on its META partition, here a file in the state
// folder (system/state/meta) in Talos's own ADV layout, so that a node's META can be read by the
// same rules: two identical 256 KiB copies, each `magic1, (tag u32, size u32, value)…, sha256,
// magic2`, big-endian. It is written atomically (temp file, fsync, rename) and survives restarts.
// Every key is published as a MetaKeys.runtime.talos.dev resource (id `0x%02x`) and kept in step.
import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {writeFileAtomicAsync} from '../../machinery/fs-atomic.js';
import {META_KEY_TYPE, type MetaKeySpec} from '../controllers/resource-types.js';
import type {ResourceStore} from '../store/store.js';

export const META_FILE = 'system/state/meta';

/** One copy of the ADV (Talos: 256 KiB); the file holds two. */
export const ADV_LENGTH = 256 * 1024;
/** What values and their headers may use: the copy minus magics and checksum (Talos: Length − 40). */
export const ADV_DATA_LENGTH = ADV_LENGTH - 40;
const MAGIC1 = 0x5a4b3c2d;
const MAGIC2 = 0xa5b4c3d2;
/** Talos's adv.End: a zero tag ends the list. */
const END_TAG = 0;

/** The resource id of a key, as Talos's MetaKeyTagToID. */
export function metaKeyId(key: number): string {
  return `0x${key.toString(16).padStart(2, '0')}`;
}

export class MetaFileError extends Error {}

/** One ADV copy holding `tags`; throws when they do not fit. */
export function marshalAdv(tags: ReadonlyMap<number, Buffer>): Buffer {
  const copy = Buffer.alloc(ADV_LENGTH);
  copy.writeUInt32BE(MAGIC1, 0);
  copy.writeUInt32BE(MAGIC2, ADV_LENGTH - 4);
  let offset = 4;
  const end = ADV_LENGTH - 36;
  for (const [tag, value] of [...tags].sort(([a], [b]) => a - b)) {
    if (offset + 8 + value.length > end) throw new MetaFileError(`adv: overflow ${offset + 8 + value.length - end} bytes`);
    copy.writeUInt32BE(tag, offset);
    copy.writeUInt32BE(value.length, offset + 4);
    value.copy(copy, offset + 8);
    offset += 8 + value.length;
  }
  createHash('sha256').update(copy).digest().copy(copy, ADV_LENGTH - 36);
  return copy;
}

/** One ADV copy's tags, or a reason why the copy is not valid. */
export function unmarshalAdv(copy: Buffer): Map<number, Buffer> {
  if (copy.length !== ADV_LENGTH) throw new MetaFileError(`adv: ${copy.length} bytes, expecting ${ADV_LENGTH}`);
  const magic1 = copy.readUInt32BE(0);
  if (magic1 !== MAGIC1) throw new MetaFileError(`adv: unexpected magic ${magic1.toString(16)}, expecting ${MAGIC1.toString(16)}`);
  const magic2 = copy.readUInt32BE(ADV_LENGTH - 4);
  if (magic2 !== MAGIC2) throw new MetaFileError(`adv: unexpected magic ${magic2.toString(16)}, expecting ${MAGIC2.toString(16)}`);
  const zeroed = Buffer.from(copy);
  const checksum = Buffer.from(copy.subarray(ADV_LENGTH - 36, ADV_LENGTH - 4));
  zeroed.fill(0, ADV_LENGTH - 36, ADV_LENGTH - 4);
  const actual = createHash('sha256').update(zeroed).digest();
  if (!checksum.equals(actual)) throw new MetaFileError(`adv: checksum mismatch: ${checksum.toString('hex')}, expecting ${actual.toString('hex')}`);
  const tags = new Map<number, Buffer>();
  let data = copy.subarray(4, ADV_LENGTH - 36);
  while (data.length >= 8) {
    const tag = data.readUInt32BE(0);
    if (tag === END_TAG) break;
    const size = data.readUInt32BE(4);
    if (data.length < size + 8) throw new MetaFileError(`adv: value goes beyond the end of the buffer: tag ${tag}, size ${size}`);
    tags.set(tag, Buffer.from(data.subarray(8, 8 + size)));
    data = data.subarray(8 + size);
  }
  return tags;
}

/**
 * Talos's SetTagBytes size rule, quirk included: the new value counts without its own 8-byte
 * header, the other values with theirs, plus 20.
 */
export function fitsAdv(tags: ReadonlyMap<number, Buffer>, key: number, value: Buffer): boolean {
  let size = 20;
  for (const stored of tags.values()) size += stored.length + 8;
  size += value.length - (tags.get(key)?.length ?? 0);
  return size <= ADV_DATA_LENGTH;
}

/** The result of a write: `overflow` when the value does not fit (Talos: ResourceExhausted). */
export type MetaWriteResult = 'written' | 'overflow';

export class MetaStore {
  private tags = new Map<number, Buffer>();
  /** Writes one after another: each is a whole-file replacement. */
  private queue: Promise<unknown> = Promise.resolve();
  readonly path: string;
  private readonly loaded: Promise<void>;

  constructor(
    root: string,
    private readonly store: ResourceStore,
  ) {
    this.path = join(root, META_FILE);
    this.loaded = this.load();
    this.loaded.catch(() => {}); // reported by the calls that need it
  }

  /** Resolves once the file was read and the resources published; rejects when the file is damaged. */
  ready(): Promise<void> {
    return this.loaded;
  }

  private async load(): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new MetaFileError(`cannot read META from ${this.path}: ${(error as Error).message}`);
    }
    let tags: Map<number, Buffer> | undefined;
    const problems: string[] = [];
    // As Talos reads the partition: the first valid copy wins.
    for (const copy of [bytes.subarray(0, ADV_LENGTH), bytes.subarray(ADV_LENGTH, 2 * ADV_LENGTH)]) {
      try {
        tags = unmarshalAdv(Buffer.from(copy));
        break;
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    if (tags === undefined) {
      throw new MetaFileError(`META in ${this.path} is damaged (${problems.join('; ')}); move the file away to start with an empty META`);
    }
    for (const [tag, value] of tags) {
      if (tag > 0xff) continue; // Talos's META keys are uint8; the ADV format has room for more
      this.tags.set(tag, value);
      this.publish(tag, value);
    }
  }

  async write(key: number, value: Buffer): Promise<MetaWriteResult> {
    await this.loaded;
    return this.serialized(async () => {
      if (!fitsAdv(this.tags, key, value)) return 'overflow';
      const next = new Map(this.tags).set(key, Buffer.from(value));
      await this.save(next);
      this.tags = next;
      this.publish(key, value);
      return 'written';
    });
  }

  /** false when the key is not set (Talos: NotFound). */
  async delete(key: number): Promise<boolean> {
    await this.loaded;
    return this.serialized(async () => {
      if (!this.tags.has(key)) return false;
      const next = new Map(this.tags);
      next.delete(key);
      await this.save(next);
      this.tags = next;
      this.store.destroy({namespace: 'runtime', type: META_KEY_TYPE, id: metaKeyId(key)});
      return true;
    });
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

  private async save(tags: ReadonlyMap<number, Buffer>): Promise<void> {
    const copy = marshalAdv(tags);
    await writeFileAtomicAsync(this.path, Buffer.concat([copy, copy]), 0o600);
  }

  private publish(key: number, value: Buffer): void {
    // The spec is a string, as Talos's; bytes that are not UTF-8 show as U+FFFD.
    this.store.put<MetaKeySpec>({type: META_KEY_TYPE, id: metaKeyId(key), spec: {value: value.toString('utf8')}});
  }
}
