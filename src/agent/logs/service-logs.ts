// The service logs (Talos's circular log buffers, talos-behaviour.md items 16–19): per id a ring of
// about 1 MiB of raw bytes that outlives the runs of its service. Readers address bytes by their
// absolute offset in everything ever written, so a reader holds no copy of the log: a follower that
// falls behind by more than the ring skips to the oldest byte still kept, and memory stays bounded
// whatever the readers do.

/** Bytes kept per log (Talos keeps about 1 MiB per service). */
export const SERVICE_LOG_CAPACITY = 1 << 20;
/** Every log stream is sent in chunks of at most this many bytes. */
export const LOG_CHUNK_BYTES = 1024;
const BLOCK_BYTES = 64 << 10;

export interface LogWriter {
  write(data: string | Uint8Array): void;
}

/** A plain error with Talos's text; the gRPC layer sends it as code Unknown. */
export class LogNotRegisteredError extends Error {
  constructor(id: string) {
    super(`log ${JSON.stringify(id)} was not registered`); // Go's %q: an id with control characters comes back escaped
  }
}

export interface ReadOptions {
  /** Only the last N lines (counted in what the ring still holds); negative: everything kept. */
  tailLines: number;
  /** Keep waiting for new bytes until `signal` aborts. */
  follow: boolean;
  signal: AbortSignal;
}

/** One log: fixed-size blocks, all full but the last, so an offset finds its block in O(1). */
class ServiceLog {
  private blocks: Buffer[] = [];
  /** Bytes used in the last block. */
  private lastUsed = 0;
  /** Absolute offset of the first byte of blocks[0]. */
  private startOffset = 0;
  private endOffset = 0;
  private waiters = new Set<() => void>();

  private readonly blockBytes: number;

  constructor(private readonly capacity: number) {
    this.blockBytes = Math.min(BLOCK_BYTES, capacity);
  }

  get end(): number {
    return this.endOffset;
  }

  get start(): number {
    return this.startOffset;
  }

  append(data: Uint8Array): void {
    let bytes = data;
    // Only the last `capacity` bytes of a huge write could be kept anyway.
    if (bytes.length > this.capacity) {
      this.skip(bytes.length - this.capacity);
      bytes = bytes.subarray(bytes.length - this.capacity);
    }
    while (bytes.length > 0) {
      if (this.blocks.length === 0 || this.lastUsed === this.blockBytes) {
        this.blocks.push(Buffer.allocUnsafe(this.blockBytes));
        this.lastUsed = 0;
      }
      const block = this.blocks[this.blocks.length - 1];
      const count = Math.min(bytes.length, this.blockBytes - this.lastUsed);
      block.set(bytes.subarray(0, count), this.lastUsed);
      this.lastUsed += count;
      this.endOffset += count;
      bytes = bytes.subarray(count);
    }
    // Drop whole blocks from the front while the rest still holds `capacity` bytes.
    while (this.blocks.length > 1 && this.endOffset - (this.startOffset + this.blockBytes) >= this.capacity) {
      this.blocks.shift();
      this.startOffset += this.blockBytes;
    }
    this.wake();
  }

  /** Bytes that were written but never kept (a write larger than the ring): offsets stay absolute. */
  private skip(count: number): void {
    this.blocks = [];
    this.lastUsed = 0;
    this.endOffset += count;
    this.startOffset = this.endOffset;
  }

  /** Up to `max` bytes from absolute offset `from` (clamped to what is kept); a view, copy before keeping. */
  read(from: number, max: number): Buffer {
    const at = Math.max(from, this.startOffset);
    if (at >= this.endOffset) return Buffer.alloc(0);
    const relative = at - this.startOffset;
    const index = Math.floor(relative / this.blockBytes);
    const within = relative % this.blockBytes;
    const blockEnd = index === this.blocks.length - 1 ? this.lastUsed : this.blockBytes;
    return this.blocks[index].subarray(within, Math.min(blockEnd, within + max));
  }

  /** The offset where the last `lines` lines start; scans back only over those lines. */
  tailStart(lines: number): number {
    if (lines <= 0) return this.endOffset;
    let position = this.endOffset;
    // A final newline ends the last line; it does not start an empty one.
    if (position > this.startOffset && this.byteAt(position - 1) === 0x0a) position--;
    let found = 0;
    while (position > this.startOffset) {
      const relative = position - this.startOffset;
      const index = Math.floor((relative - 1) / this.blockBytes);
      const blockStart = index * this.blockBytes;
      const newline = this.blocks[index].lastIndexOf(0x0a, relative - 1 - blockStart);
      if (newline === -1) {
        position = this.startOffset + blockStart;
        continue;
      }
      position = this.startOffset + blockStart + newline;
      if (++found === lines) return position + 1;
    }
    return this.startOffset;
  }

  private byteAt(offset: number): number {
    return this.read(offset, 1)[0];
  }

  /** Resolves on the next append, or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, {once: true});
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

const utf8 = new TextEncoder();

export class ServiceLogs {
  private readonly logs = new Map<string, ServiceLog>();

  constructor(private readonly capacity = SERVICE_LOG_CAPACITY) {}

  /** The writer of a log; registers the id (it is then listed and readable, even while empty). */
  writer(id: string): LogWriter {
    const log = this.log(id);
    return {write: (data) => log.append(typeof data === 'string' ? utf8.encode(data) : data)};
  }

  /** Registered ids, in registration order (Talos lists them in no particular order). */
  ids(): string[] {
    return [...this.logs.keys()];
  }

  has(id: string): boolean {
    return this.logs.has(id);
  }

  /**
   * The log's bytes in chunks of at most 1024 bytes: the tail, then (with follow) what is written
   * later. Each chunk is a copy the caller may keep. Without follow it ends at the bytes present
   * when it started. Throws LogNotRegisteredError for an unknown id.
   */
  async *read(id: string, options: ReadOptions): AsyncGenerator<Buffer> {
    const log = this.logs.get(id);
    if (log === undefined) throw new LogNotRegisteredError(id);
    let position = options.tailLines >= 0 ? log.tailStart(options.tailLines) : log.start;
    const stopAt = options.follow ? Infinity : log.end;
    while (!options.signal.aborted) {
      // Fell behind the ring: continue from the oldest byte kept.
      position = Math.max(position, log.start);
      if (position >= Math.min(stopAt, log.end)) {
        if (!options.follow) return;
        await log.changed(options.signal);
        continue;
      }
      const chunk = Buffer.from(log.read(position, Math.min(LOG_CHUNK_BYTES, stopAt - position)));
      position += chunk.length;
      yield chunk;
    }
  }

  private log(id: string): ServiceLog {
    let log = this.logs.get(id);
    if (log === undefined) {
      log = new ServiceLog(this.capacity);
      this.logs.set(id, log);
    }
    return log;
  }
}
