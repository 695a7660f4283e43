// Runtime events (Talos's v1alpha1 events, the Events RPC): a bounded history of encoded event
// payloads with xid ids, and live delivery to watchers. osd publishes ServiceStateEvents so far.
import {randomBytes} from 'node:crypto';

/** Events kept for the tails of new watchers (Talos keeps a ring of about this many). */
export const EVENT_HISTORY = 1000;

export interface RuntimeEvent {
  /** An xid: 20 characters of base32hex, ordered by time. */
  id: string;
  /** `talos/runtime/<full proto name>`. */
  typeUrl: string;
  value: Uint8Array;
  actorId: string;
  time: Date;
}

export type EventTail =
  | {kind: 'none'}
  /** Negative: the whole history. */
  | {kind: 'events'; count: number}
  | {kind: 'id'; after: string}
  | {kind: 'seconds'; seconds: number};

export class RuntimeEvents {
  private readonly history: RuntimeEvent[] = [];
  private readonly watchers = new Set<(event: RuntimeEvent) => void>();
  private readonly ids = new XidSource();
  /** The actor of the lifecycle action in progress (Reboot, Reset, Shutdown): events without their own carry it. */
  private actorId = '';

  constructor(private readonly capacity = EVENT_HISTORY) {}

  /** `name` is the payload's full proto name, e.g. `machine.ServiceStateEvent`. */
  publish(name: string, value: Uint8Array, actorId = this.actorId): RuntimeEvent {
    const time = new Date();
    const event: RuntimeEvent = {id: this.ids.next(time), typeUrl: `talos/runtime/${name}`, value, actorId, time};
    this.history.push(event);
    if (this.history.length > this.capacity) this.history.shift();
    for (const watcher of [...this.watchers]) watcher(event);
    return event;
  }

  /** From now on, events published without an actor id carry `actorId` (the node is rebooting, resetting or shutting down for it). */
  setActor(actorId: string): void {
    this.actorId = actorId;
  }

  /** The tail of the history, then every later event, until the returned function is called. */
  watch(tail: EventTail, listener: (event: RuntimeEvent) => void): () => void {
    for (const event of this.tailOf(tail)) listener(event);
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  private tailOf(tail: EventTail): RuntimeEvent[] {
    switch (tail.kind) {
      case 'none':
        return [];
      case 'events':
        return tail.count < 0 ? [...this.history] : this.history.slice(Math.max(0, this.history.length - tail.count));
      case 'id':
        return this.history.filter((event) => event.id > tail.after);
      case 'seconds': {
        const since = Date.now() - tail.seconds * 1000;
        return this.history.filter((event) => event.time.getTime() >= since);
      }
    }
  }
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/** xid ids (github.com/rs/xid layout): 4 bytes of seconds, 3 of machine, 2 of process id, 3 of counter. */
class XidSource {
  private readonly machine = randomBytes(3);
  private counter = randomBytes(3).readUIntBE(0, 3);

  next(time: Date): string {
    const bytes = Buffer.alloc(12);
    bytes.writeUInt32BE(Math.floor(time.getTime() / 1000) >>> 0, 0);
    this.machine.copy(bytes, 4);
    bytes.writeUInt16BE(process.pid & 0xffff, 7);
    this.counter = (this.counter + 1) & 0xffffff;
    bytes.writeUIntBE(this.counter, 9, 3);
    return encodeBase32Hex(bytes);
  }
}

function encodeBase32Hex(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let text = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      text += BASE32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) text += BASE32HEX[(value << (5 - bits)) & 31];
  return text;
}

/** True when `text` is a well-formed xid (20 base32hex characters). */
export function isXid(text: string): boolean {
  return /^[0-9a-v]{20}$/.test(text);
}
