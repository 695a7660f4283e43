// time.TimeResponse with its timestamps at full precision. The generated codec turns a
// google.protobuf.Timestamp into a Date (milliseconds); an NTP server's time has nanoseconds,
// and talosctl prints them (Go's Time.String), so TimeService answers are encoded and decoded here.
import {BinaryReader, BinaryWriter} from '@bufbuild/protobuf/wire';
import {Metadata} from './api/common/common.js';
import {Timestamp} from './api/google/protobuf/timestamp.js';

export interface PreciseTimestamp {
  seconds: bigint;
  /** 0 ≤ nanos < 10^9 */
  nanos: number;
}

export interface PreciseTime {
  metadata?: Metadata;
  server: string;
  localtime?: PreciseTimestamp;
  remotetime?: PreciseTimestamp;
}

export interface PreciseTimeResponse {
  messages: PreciseTime[];
}

export function timestampFromNs(ns: bigint): PreciseTimestamp {
  let seconds = ns / 1_000_000_000n;
  let nanos = ns % 1_000_000_000n;
  if (nanos < 0n) {
    seconds -= 1n;
    nanos += 1_000_000_000n;
  }
  return {seconds, nanos: Number(nanos)};
}

export function encodeTimeResponse(response: PreciseTimeResponse): Buffer {
  const writer = new BinaryWriter();
  for (const message of response.messages) {
    const time = writer.uint32(10).fork();
    if (message.metadata !== undefined) Metadata.encode(message.metadata, time.uint32(10).fork()).join();
    if (message.server !== '') time.uint32(18).string(message.server);
    if (message.localtime !== undefined) Timestamp.encode(message.localtime, time.uint32(26).fork()).join();
    if (message.remotetime !== undefined) Timestamp.encode(message.remotetime, time.uint32(34).fork()).join();
    time.join();
  }
  return Buffer.from(writer.finish());
}

export function decodeTimeResponse(bytes: Uint8Array): PreciseTimeResponse {
  const reader = new BinaryReader(bytes);
  const messages: PreciseTime[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag !== 10) {
      reader.skip(tag & 7);
      continue;
    }
    const end = reader.uint32() + reader.pos;
    const message: PreciseTime = {server: ''};
    while (reader.pos < end) {
      const field = reader.uint32();
      switch (field) {
        case 10:
          message.metadata = Metadata.decode(reader, reader.uint32());
          break;
        case 18:
          message.server = reader.string();
          break;
        case 26:
          message.localtime = Timestamp.decode(reader, reader.uint32());
          break;
        case 34:
          message.remotetime = Timestamp.decode(reader, reader.uint32());
          break;
        default:
          reader.skip(field & 7);
      }
    }
    messages.push(message);
  }
  return {messages};
}
