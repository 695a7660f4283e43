// The kernel log as Talos's Dmesg serves it (talos-behaviour.md items 36–37): /dev/kmsg records,
// each `<prefix>;<message>` with the prefix `<syslog priority>,<sequence>,<µs since boot>,<flags>`,
// turned into `<facility>: <priority right-aligned to 7>: [<RFC3339Nano UTC time>]: <message>`.
// The message keeps what follows the `;` (its newline and any ` KEY=value` continuation lines);
// `\xNN` escapes the kernel writes for unprintable bytes are decoded back to those bytes.
//
// /dev/kmsg is opened non-blocking: a read returns at once (it never holds a libuv thread), EAGAIN
// means "nothing new", and a follower waits on a short timer instead (Node has no poll(2) on files).
import {constants, readSync} from 'node:fs';
import {open, type FileHandle} from 'node:fs/promises';
import {setTimeout as delay} from 'node:timers/promises';

export const KMSG_PATH = '/dev/kmsg';

/** One read returns one record; the kernel refuses (EINVAL) a buffer too small for it. */
const RECORD_BUFFER = 8192;

/** How often a follower looks for new records once it has read them all. */
export const FOLLOW_POLL_MS = 100;

const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
const PRIORITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

export interface KmsgRecord {
  facility: number;
  priority: number;
  sequence: bigint;
  /** µs since boot (the kernel's clock, not counting suspend). */
  clockMicros: bigint;
  /** The bytes after the `;`, escapes decoded. */
  message: Buffer;
}

/** A record as go-kmsg's ParseMessage reads it; throws with its texts on a malformed one. */
export function parseKmsgRecord(raw: Buffer): KmsgRecord {
  const semicolon = raw.indexOf(0x3b);
  if (semicolon < 0) throw new Error('kernel message should contain a prefix');
  const metadata = raw.toString('latin1', 0, semicolon).split(',');
  if (metadata.length < 3) throw new Error(`message metdata should have at least 3 parts, got ${metadata.length}`);
  const syslog = parseGoInt(metadata[0], 'error parsing priority');
  const sequence = parseGoInt(metadata[1], 'error parsing sequence');
  const clock = parseGoInt(metadata[2], 'errors parsing clock from boot');
  return {
    priority: Number(syslog & 7n),
    facility: Number(syslog >> 3n),
    sequence,
    clockMicros: clock,
    message: decodeKmsgEscapes(raw.subarray(semicolon + 1)),
  };
}

/** strconv.ParseInt(text, 10, 64) with Go's error text, under `what`. */
function parseGoInt(text: string, what: string): bigint {
  if (/^[+-]?\d+$/.test(text)) {
    const value = BigInt(text);
    if (value >= -(2n ** 63n) && value < 2n ** 63n) return value;
    throw new Error(`${what}: strconv.ParseInt: parsing ${JSON.stringify(text)}: value out of range`);
  }
  throw new Error(`${what}: strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
}

/** `\xNN` back to the byte it stands for; everything else as it is. */
export function decodeKmsgEscapes(text: Buffer): Buffer {
  if (text.indexOf('\\x') < 0) return Buffer.from(text);
  const out = Buffer.alloc(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === 0x5c && text[i + 1] === 0x78 && isHex(text[i + 2]) && isHex(text[i + 3])) {
      out[length++] = parseInt(text.toString('latin1', i + 2, i + 4), 16);
      i += 3;
    } else {
      out[length++] = text[i];
    }
  }
  return out.subarray(0, length);
}

function isHex(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46));
}

/**
 * go-kmsg's names, indexed as go-kmsg indexes them: its table goes on from authpriv (10) with
 * local0 (11), so syslog's local0 (16) prints as local5, as on Talos. One past the table (user space
 * may write any facility to /dev/kmsg; Talos would panic) is named by its number.
 */
export function facilityName(facility: number): string {
  return FACILITIES[facility] ?? `Facility(${facility})`;
}

export function priorityName(priority: number): string {
  return PRIORITIES[priority] ?? `Priority(${priority})`;
}

/** Go's time.RFC3339Nano of a UTC instant in µs: trailing zeros of the fraction dropped, and the dot with them. */
export function rfc3339NanoUtc(micros: bigint): string {
  let seconds = micros / 1_000_000n;
  let fraction = micros % 1_000_000n;
  if (fraction < 0n) {
    fraction += 1_000_000n;
    seconds -= 1n;
  }
  const date = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const digits = fraction.toString().padStart(6, '0').replace(/0+$/, '');
  return `${date}${digits === '' ? '' : `.${digits}`}Z`;
}

/** The bytes Dmesg sends for a record: `kern:    info: [2026-12-02T10:00:00.5Z]: text\n`. */
export function formatKmsgRecord(record: KmsgRecord, bootMicros: bigint): Buffer {
  const time = rfc3339NanoUtc(bootMicros + record.clockMicros);
  const head = `${facilityName(record.facility)}: ${priorityName(record.priority).padStart(7)}: [${time}]: `;
  return Buffer.concat([Buffer.from(head, 'latin1'), record.message]);
}

/**
 * When the host booted, in µs since the epoch: now minus the monotonic clock, which counts from
 * boot without suspend, as the record clock does (Talos: now minus the uptime).
 */
export function bootTimeMicros(nowMs = Date.now(), monotonicNs = process.hrtime.bigint()): bigint {
  return BigInt(nowMs) * 1000n - monotonicNs / 1000n;
}

export interface KmsgReadOptions {
  follow: boolean;
  /** Only records written after the call started. */
  tail: boolean;
  signal: AbortSignal;
  /** For tests: another device or file. */
  path?: string;
  pollMs?: number;
}

/** A raw record, or a read error to report in-band (as go-kmsg's Packet.Err). */
export type KmsgPacket = {raw: Buffer; error?: undefined} | {raw?: undefined; error: Error};

/**
 * Opens the kernel log; the error says what failed (`open /dev/kmsg: permission denied`), Go's
 * wording, for the caller to wrap. The handle is the caller's to close.
 */
export async function openKmsg(path = KMSG_PATH): Promise<FileHandle> {
  try {
    return await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new Error(`open ${path}: ${errnoText(error)}`);
  }
}

/**
 * The records of an open /dev/kmsg: all those still in the kernel's ring (none with `tail`), then
 * with `follow` each new one as it is written, until `signal` aborts. A record overwritten before
 * it was read (EPIPE) is skipped, as go-kmsg does.
 */
export async function* readKmsg(handle: FileHandle, options: KmsgReadOptions): AsyncGenerator<KmsgPacket> {
  const buffer = Buffer.alloc(RECORD_BUFFER);
  const pollMs = options.pollMs ?? FOLLOW_POLL_MS;
  // go-kmsg seeks to the end; Node has no lseek, so with `tail` the records already there are read
  // and dropped, up to the first 'none'.
  let skipping = options.tail;
  while (!options.signal.aborted) {
    let result: Awaited<ReturnType<typeof readRecord>>;
    try {
      result = await readRecord(handle, buffer);
    } catch (error) {
      yield {error: new Error(`error reading from kmsg: ${errnoText(error)}`)};
      return;
    }
    // The end of a file, or a /dev/kmsg that is /dev/null (containers map it so): reading on would
    // spin without ever giving the event loop back.
    if (result === 'eof') return;
    if (result === 'none') {
      skipping = false;
      if (!options.follow) return;
      try {
        await delay(pollMs, undefined, {signal: options.signal});
      } catch {
        return; // aborted
      }
      continue;
    }
    if (!skipping) yield {raw: Buffer.from(result)};
  }
}

/**
 * One record (a view of `buffer`), 'none' when there is nothing new, 'eof' at the end of a plain
 * file. The descriptor is non-blocking, so the read is done on the spot: it returns at once either
 * way, and skipping the thread pool's round trip makes a full read several times faster.
 */
async function readRecord(handle: FileHandle, buffer: Buffer): Promise<Buffer | 'none' | 'eof'> {
  for (;;) {
    try {
      const bytesRead = readSync(handle.fd, buffer, 0, buffer.length, null);
      return bytesRead === 0 ? 'eof' : buffer.subarray(0, bytesRead);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return 'none';
      if (code === 'EPIPE') continue; // overwritten while we were behind: go on with the next one
      throw error;
    }
  }
}

/** A Node fs error as Go words the errno: `EACCES: permission denied, open '/dev/kmsg'` → `permission denied`. */
export function errnoText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^[A-Z0-9]+: (.*?)(?:, \w+(?: '.*')?)?$/.exec(message);
  return match ? match[1] : message;
}
