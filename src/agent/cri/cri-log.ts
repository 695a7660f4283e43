// Container log files in the CRI format kubelet and containerd write
// (`<RFC3339Nano> <stdout|stderr> <F|P> <text>\n`, one file per container instance), and the two
// ways osd reads them: the last N lines, found by reading backwards from the end (the cost depends
// on N, never on the file's size), and following the one open file as it grows.
import {closeSync, openSync, readdirSync, renameSync, statSync, unlinkSync, watch, writeSync, type FSWatcher} from 'node:fs';
import {open, type FileHandle} from 'node:fs/promises';
import {basename, dirname, join} from 'node:path';

export type CriStream = 'stdout' | 'stderr';

export interface CriLogLimits {
  /** A line longer than this is written as `P` pieces of this size, then its `F` end (containerd: 16 KiB). */
  maxLineBytes: number;
  /** The file is rotated once it grows past this size (kubelet's containerLogMaxSize: 10 MiB). */
  maxFileBytes: number;
  /** Files kept per container instance, the live one included (kubelet's containerLogMaxFiles: 5). */
  maxFiles: number;
}

export const DEFAULT_CRI_LOG_LIMITS: Readonly<CriLogLimits> = {maxLineBytes: 16 * 1024, maxFileBytes: 10 << 20, maxFiles: 5};

const NEWLINE = 0x0a;

/**
 * Writes one container instance's output. Each stream keeps its unfinished line until its newline
 * arrives, so lines of stdout and stderr never mix. Writes are synchronous: a container's pipe is
 * read no faster than its lines reach the file.
 */
export class CriLogWriter {
  private fd: number;
  private size: number;
  private readonly pending: Record<CriStream, Buffer> = {stdout: Buffer.alloc(0), stderr: Buffer.alloc(0)};
  private closed = false;

  constructor(
    readonly path: string,
    private readonly limits: Readonly<CriLogLimits> = DEFAULT_CRI_LOG_LIMITS,
  ) {
    this.fd = openSync(path, 'a', 0o640);
    this.size = statSync(path).size;
  }

  write(stream: CriStream, chunk: Buffer): void {
    if (this.closed) return;
    let data = this.pending[stream].length === 0 ? chunk : Buffer.concat([this.pending[stream], chunk]);
    for (;;) {
      const newline = data.indexOf(NEWLINE);
      if (newline >= 0 && newline <= this.limits.maxLineBytes) {
        this.line(stream, 'F', data.subarray(0, newline));
        data = data.subarray(newline + 1);
      } else if (data.length > this.limits.maxLineBytes) {
        this.line(stream, 'P', data.subarray(0, this.limits.maxLineBytes));
        data = data.subarray(this.limits.maxLineBytes);
      } else break;
    }
    // Copied: `data` may be a view into a pipe's buffer that Node reuses.
    this.pending[stream] = Buffer.from(data);
  }

  /** The container's output ended: an unfinished last line is written as a full one, as containerd does at EOF. */
  close(): void {
    if (this.closed) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream].length > 0) this.line(stream, 'F', this.pending[stream]);
      this.pending[stream] = Buffer.alloc(0);
    }
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // Nothing more can be lost.
    }
  }

  /** Lines that could not be written (disk full, file or folder removed), as containerd loses them. */
  dropped = 0;

  private line(stream: CriStream, tag: 'F' | 'P', text: Buffer): void {
    const record = Buffer.concat([Buffer.from(`${criTimestamp()} ${stream} ${tag} `), text, Buffer.from('\n')]);
    // Runs in the pipe's data handler: an error thrown here would end osd, not just lose a line.
    try {
      writeSync(this.fd, record);
    } catch {
      this.dropped++;
      return;
    }
    this.size += record.length;
    if (this.size < this.limits.maxFileBytes) return;
    try {
      this.rotate();
    } catch {
      // The folder is gone or full: keep writing where the descriptor points, try again a file later.
      this.size = 0;
    }
  }

  /** As kubelet rotates: the full file becomes `<name>.<yyyymmdd-hhmmss>`, the oldest beyond maxFiles are removed. */
  private rotate(): void {
    const directory = dirname(this.path);
    const prefix = `${basename(this.path)}.`;
    const rotatedBefore = () => readdirSync(directory).filter((name) => name.startsWith(prefix));
    // Within one second the counter only grows: a name freed by pruning is never reused, or the
    // newest file would sort as the oldest and be pruned next.
    const stamp = rotationStamp(new Date());
    const sameSecond = rotatedBefore()
      .map(rotationKey)
      .filter(([other]) => other === stamp);
    const counter = sameSecond.length === 0 ? 0 : Math.max(...sameSecond.map(([, n]) => n)) + 1;
    // Renamed while open, so that a failure at any step leaves a descriptor to write to.
    renameSync(this.path, join(directory, `${prefix}${stamp}${counter === 0 ? '' : `.${counter}`}`));
    const full = this.fd;
    this.fd = openSync(this.path, 'a', 0o640);
    closeSync(full);
    this.size = 0;
    const old = rotatedBefore().sort(byRotation);
    for (const name of old.slice(0, Math.max(0, old.length - (this.limits.maxFiles - 1)))) unlinkSync(join(directory, name));
  }
}

/**
 * Oldest first: by stamp, then by the counter of rotations within one second (`.2` before `.10`,
 * which a plain sort gets wrong for a container writing fast enough to rotate ten times a second).
 */
function byRotation(a: string, b: string): number {
  const [stampA, counterA] = rotationKey(a);
  const [stampB, counterB] = rotationKey(b);
  return stampA < stampB ? -1 : stampA > stampB ? 1 : counterA - counterB;
}

function rotationKey(name: string): [string, number] {
  const match = /\.(\d{8}-\d{6})(?:\.(\d+))?$/.exec(name);
  return match === null ? [name, 0] : [match[1], Number(match[2] ?? 0)];
}

function rotationStamp(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

// Wall-clock nanoseconds: the epoch time at start-up plus the monotonic clock's progress since.
const epochNsAtStart = BigInt(Date.now()) * 1_000_000n;
const hrtimeAtStart = process.hrtime.bigint();

/** Now, as Go's RFC3339Nano writes it in UTC: nanoseconds with trailing zeros dropped. */
export function criTimestamp(): string {
  const ns = epochNsAtStart + (process.hrtime.bigint() - hrtimeAtStart);
  const seconds = new Date(Number(ns / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return fraction === '' ? `${seconds}Z` : `${seconds}.${fraction}Z`;
}

/** Log data leaves osd in chunks of at most this many bytes (talos-behaviour.md item 19). */
export const LOG_CHUNK_BYTES = 1024;

const TAIL_BLOCK_BYTES = 64 * 1024;
const READ_BLOCK_BYTES = 64 * 1024;

/**
 * Where the last `lines` lines of the open file start. A final line without its newline counts as
 * a line. Reads backwards in blocks until enough newlines are seen.
 */
export async function tailOffset(file: FileHandle, size: number, lines: number): Promise<number> {
  if (lines <= 0 || size === 0) return size;
  const block = Buffer.alloc(Math.min(TAIL_BLOCK_BYTES, size));
  // The newline ending the last line does not start a line.
  let end = size;
  let skipFinalNewline = true;
  let found = 0;
  while (end > 0) {
    const start = Math.max(0, end - block.length);
    const {bytesRead} = await file.read(block, 0, end - start, start);
    for (let index = bytesRead - 1; index >= 0; index--) {
      if (block[index] !== NEWLINE) {
        skipFinalNewline = false;
        continue;
      }
      if (skipFinalNewline) {
        skipFinalNewline = false;
        continue;
      }
      found++;
      if (found === lines) return start + index + 1;
    }
    end = start;
  }
  return 0;
}

export interface LogReadOptions {
  /** Lines from the end; negative means the whole file. */
  tailLines: number;
  follow: boolean;
  signal: AbortSignal;
  /** Resolves when the reader has room for more (backpressure). */
  send(chunk: Buffer): Promise<void>;
  /** How often a followed file is checked when no change notification arrives. */
  pollMs?: number;
}

/**
 * Sends the file (or its tail) in chunks of at most LOG_CHUNK_BYTES; with `follow`, keeps reading
 * the same open file as it grows until `signal` aborts. A rotated file is not reopened, as Talos
 * keeps its one inotify-watched file.
 */
export async function readLogFile(path: string, options: LogReadOptions): Promise<void> {
  const file = await open(path, 'r');
  let watcher: FSWatcher | undefined;
  try {
    const {size} = await file.stat();
    let position = options.tailLines < 0 ? 0 : await tailOffset(file, size, options.tailLines);
    // Read in blocks, send in chunks: one read serves 64 chunks.
    const buffer = Buffer.alloc(READ_BLOCK_BYTES);
    let wake: (() => void) | undefined;
    if (options.follow) {
      watcher = watch(path, {persistent: false}, () => wake?.());
      watcher.on('error', () => undefined); // the file was removed: polling still ends at the abort
    }
    while (!options.signal.aborted) {
      const {bytesRead} = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead > 0) {
        position += bytesRead;
        for (let offset = 0; offset < bytesRead && !options.signal.aborted; offset += LOG_CHUNK_BYTES) {
          // A copy: the stream may hold the chunk after send resolves.
          await options.send(Buffer.from(buffer.subarray(offset, Math.min(offset + LOG_CHUNK_BYTES, bytesRead))));
        }
        continue;
      }
      if (!options.follow) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          options.signal.removeEventListener('abort', done);
          wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, options.pollMs ?? 500);
        options.signal.addEventListener('abort', done, {once: true});
        wake = done;
      });
    }
  } finally {
    watcher?.close();
    await file.close();
  }
}
