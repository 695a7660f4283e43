// A one-packet SNTP client (RFC 4330/5905), checked as Talos's TimeService checks it (beevik/ntp:
// Query, then Validate): a version 4 client request whose transmit timestamp is 64 random bits,
// one answer within 5 s (or the caller's deadline), and the same rejections with the same texts.
import {randomBytes} from 'node:crypto';
import {createSocket, type Socket} from 'node:dgram';
import {lookup} from 'node:dns/promises';
import {isIP} from 'node:net';
import {getSystemErrorMap} from 'node:util';

export const NTP_PORT = 123;
export const SNTP_TIMEOUT_MS = 5_000;

/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
const NTP_UNIX_OFFSET = 2_208_988_800n;
/** NTP timestamps before this fall in era 1 (2036+), as beevik/ntp assumes. */
const T1970 = 0x83aa7e8000000000n;
const ERA = 1n << 64n;
const MAX_POLL_INTERVAL_NS = (1n << 17n) * 1_000_000_000n;
const MAX_DISPERSION_NS = 16n * 1_000_000_000n;

export interface SntpAnswer {
  /** The server's transmit time, nanoseconds since the Unix epoch. */
  serverTimeNs: bigint;
  stratum: number;
  leap: number;
  referenceTimeNs: bigint;
  rootDelayNs: bigint;
  rootDispersionNs: bigint;
}

/** A failure as Go's net package and beevik/ntp word it. */
export class SntpError extends Error {}

/**
 * beevik/ntp's fixHostPort: `host`, `host:port`, `[v6]` or `[v6]:port`; a bare IPv6 address
 * (two or more colons) takes the default port.
 */
export function splitServer(address: string, defaultPort = NTP_PORT): {host: string; port: number} {
  if (address === '') throw new SntpError('address string is empty');
  let host: string;
  let port: string | undefined;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end < 0) throw new SntpError("missing ']' in address");
    host = address.slice(1, end);
    if (end + 1 === address.length) port = undefined;
    else if (address[end + 1] === ':') port = address.slice(end + 2);
    else throw new SntpError("unexpected character following ']' in address");
  } else {
    const last = address.lastIndexOf(':');
    // (lastIndexOf with a negative start still looks at index 0: `:123` has one colon, not two)
    if (last < 0 || (last > 0 && address.lastIndexOf(':', last - 1) >= 0)) {
      host = address;
      port = undefined;
    } else {
      host = address.slice(0, last);
      port = address.slice(last + 1);
    }
  }
  if (port === undefined) return {host, port: defaultPort};
  // Port 0 parses in Go too, but nothing answers there (and Node refuses to connect to it).
  if (!/^[0-9]{1,5}$/.test(port) || Number(port) > 65535 || Number(port) === 0) throw new SntpError(`address ${address}: invalid port`);
  return {host, port: Number(port)};
}

/** One query; rejects with an SntpError for anything the server cannot be trusted for. */
export async function querySntp(server: string, options: {timeoutMs?: number; signal?: AbortSignal} = {}): Promise<SntpAnswer> {
  const {host, port} = splitServer(server);
  const timeoutMs = options.timeoutMs ?? SNTP_TIMEOUT_MS;
  const {address, family} = await serverAddress(host, timeoutMs, options.signal);
  options.signal?.throwIfAborted();
  const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
  try {
    return await exchange(socket, address, port, timeoutMs, options.signal);
  } finally {
    socket.close();
  }
}

/** The address to ask: an IP as it is, a name looked up; an empty host (`:123`, `[]:123`) is the local system, as Go dials it. */
export async function serverAddress(host: string, timeoutMs: number, signal?: AbortSignal): Promise<{address: string; family: number}> {
  if (host === '') return {address: '0.0.0.0', family: 4};
  const family = isIP(host);
  if (family !== 0) return {address: host, family};
  return boundedLookup(host, timeoutMs, signal);
}

/** getaddrinfo can take long (resolver retries): bounded by the same timeout and the caller's cancel. */
async function boundedLookup(host: string, timeoutMs: number, signal?: AbortSignal): Promise<{address: string; family: number}> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SntpError(`lookup ${host}: i/o timeout`)), timeoutMs);
    onAbort = () => reject(signal!.reason);
    signal?.addEventListener('abort', onAbort, {once: true});
  });
  const resolved = lookup(host).then(
    (answer) => {
      if (!answer.address) throw new SntpError(`lookup ${host}: no such host`);
      return answer;
    },
    (error: NodeJS.ErrnoException) => {
      throw new SntpError(`lookup ${host}: ${error.code === 'ENOTFOUND' ? 'no such host' : error.message}`);
    },
  );
  try {
    return await Promise.race([resolved, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    resolved.catch(() => {}); // a lookup that ends after the timeout
  }
}

function exchange(socket: Socket, address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<SntpAnswer> {
  const request = Buffer.alloc(48);
  request[0] = (0 << 6) | (4 << 3) | 3; // no leap warning, version 4, client
  request[3] = 0x20; // precision, as beevik/ntp sends it
  const origin = randomBytes(8);
  origin.copy(request, 40);
  const remote = `${address.includes(':') ? `[${address}]` : address}:${port}`;
  return new Promise<SntpAnswer>((resolve, reject) => {
    let local = '';
    const fail = (text: string): void => {
      cleanup();
      reject(new SntpError(`read udp ${local}->${remote}: ${text}`));
    };
    const timer = setTimeout(() => fail('i/o timeout'), timeoutMs);
    const onAbort = (): void => {
      cleanup();
      reject(signal!.reason);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('message');
      socket.removeAllListeners('error');
      socket.on('error', () => {}); // late ICMP errors after we are done
    };
    signal?.addEventListener('abort', onAbort, {once: true});
    socket.on('error', (error: NodeJS.ErrnoException) => fail(error.code === 'ECONNREFUSED' ? 'recvfrom: connection refused' : error.message));
    socket.on('message', (message) => {
      const receivedNs = nowNs();
      cleanup();
      try {
        resolve(parseAnswer(message, origin, receivedNs));
      } catch (error) {
        reject(error);
      }
    });
    // Connected, so that only this server's answers arrive and an ICMP refusal is reported.
    // A refused connect (no route, a bad zone, port 0) comes to the callback or is thrown, never
    // as an 'error' event: sending on the unconnected socket would throw out of osd.
    const dialFailed = (error: Error): void => {
      cleanup();
      const errno = (error as NodeJS.ErrnoException).errno;
      const text = errno === undefined ? error.message : `connect: ${getSystemErrorMap().get(errno)?.[1] ?? error.message}`;
      reject(new SntpError(`dial udp ${remote}: ${text}`));
    };
    try {
      socket.connect(port, address, (error?: Error) => {
        if (error) return dialFailed(error);
        const bound = socket.address();
        local = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
        socket.send(request, (sendError) => {
          if (sendError) fail(`write: ${sendError.message}`);
        });
      });
    } catch (error) {
      dialFailed(error as Error);
    }
  });
}

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** The answer's checks in beevik/ntp's order (getTime's, not yet Validate's). */
export function parseAnswer(message: Buffer, origin: Buffer, _receivedNs: bigint): SntpAnswer {
  if (message.length < 48) throw new SntpError('unexpected EOF');
  const mode = message[0] & 0x07;
  if (mode !== 4) throw new SntpError('invalid mode in response');
  const transmit = message.readBigUInt64BE(40);
  if (transmit === 0n) throw new SntpError('invalid transmit time in response');
  if (!message.subarray(24, 32).equals(origin)) throw new SntpError("server response didn't match request");
  const receive = message.readBigUInt64BE(32);
  if (receive > transmit) throw new SntpError('server clock ticked backwards');
  return {
    serverTimeNs: ntpToUnixNs(transmit),
    stratum: message[1],
    leap: message[0] >> 6,
    referenceTimeNs: ntpToUnixNs(message.readBigUInt64BE(16)),
    rootDelayNs: shortToNs(message.readUInt32BE(4)),
    rootDispersionNs: shortToNs(message.readUInt32BE(8)),
  };
}

/** beevik/ntp's Response.Validate: is the answer fit for setting a clock. */
export function validateAnswer(answer: SntpAnswer): void {
  if (answer.stratum === 0) throw new SntpError('kiss of death received');
  if (answer.stratum >= 16) throw new SntpError('invalid stratum in response');
  if (answer.serverTimeNs - answer.referenceTimeNs > MAX_POLL_INTERVAL_NS) throw new SntpError('server clock not fresh');
  if (answer.rootDelayNs / 2n + answer.rootDispersionNs > MAX_DISPERSION_NS) throw new SntpError('invalid dispersion in response');
  if (answer.serverTimeNs < answer.referenceTimeNs) throw new SntpError('invalid time reported');
  if (answer.leap === 3) throw new SntpError('invalid leap second in response');
}

/** A Q32.32 NTP timestamp as nanoseconds since 1970 (rounded as beevik/ntp rounds). */
export function ntpToUnixNs(timestamp: bigint): bigint {
  const seconds = timestamp >> 32n;
  const fraction = (timestamp & 0xffffffffn) * 1_000_000_000n;
  let nanos = fraction >> 32n;
  if ((fraction & 0xffffffffn) >= 0x80000000n) nanos++;
  const sinceEra = seconds * 1_000_000_000n + nanos;
  const era0 = sinceEra - NTP_UNIX_OFFSET * 1_000_000_000n;
  return timestamp < T1970 ? era0 + ERA / (1n << 32n) * 1_000_000_000n : era0;
}

/** Unix nanoseconds as a Q32.32 NTP timestamp (era 0 before 2036). */
export function unixNsToNtp(ns: bigint): bigint {
  const sinceEra = ns + NTP_UNIX_OFFSET * 1_000_000_000n;
  const seconds = sinceEra / 1_000_000_000n;
  const rest = sinceEra % 1_000_000_000n;
  return ((seconds << 32n) | ((rest << 32n) / 1_000_000_000n)) & (ERA - 1n);
}

function shortToNs(value: number): bigint {
  const seconds = BigInt(value >>> 16) * 1_000_000_000n;
  const fraction = BigInt(value & 0xffff) * 1_000_000_000n;
  let nanos = fraction >> 16n;
  if ((fraction & 0xffffn) >= 0x8000n) nanos++;
  return seconds + nanos;
}
