// The sending side of a server stream, with backpressure. Messages go to grpc-js only while it
// accepts them (write() returned true, or 'drain' came since); the rest wait in a queue bounded by
// the number of sends and by bytes. A source that waits for room (List, logs, copies) never
// reaches the bound. A source that cannot wait (a watch: the store pushes events as they happen)
// overruns it when its client stops reading, and the call then ends with RESOURCE_EXHAUSTED, as
// COSI's in-memory state ends a watch that fell behind ("buffer overrun"). One slow client thus
// holds at most the bound, plus grpc-js's own 16 messages and the HTTP/2 window, and costs other
// clients nothing.
import * as grpc from '@grpc/grpc-js';
import {toServerError} from './rpc-error.js';

export interface StreamLimits {
  /** Sends waiting for the client to read; a lazily produced batch counts as one. */
  maxQueuedSends: number;
  /** Bytes of encoded messages waiting. A single larger message is still accepted when nothing else waits. */
  maxQueuedBytes: number;
}

export const DEFAULT_STREAM_LIMITS: Readonly<StreamLimits> = {maxQueuedSends: 1024, maxQueuedBytes: 4 << 20};

/** How a stream is named when its client falls behind, and what it says last before the status. */
export interface OverrunReport<Message> {
  /** E.g. `the watch of namespace "cluster" type "Members.cluster.talos.dev"`. Default: the method path. */
  subject: string;
  /** An in-band message carrying the reason (a watch's ERRORED event), sent just before the status. */
  lastMessage?: (reason: string) => Message | undefined;
}

/** What a local server-stream handler writes to (see methods.ts). */
export interface ResponseStream<Message> {
  /**
   * Queues a message. The promise resolves once the client has room for more (or the call ended):
   * a source that can wait awaits it; a push source may ignore it, the bound then stops it.
   */
  send(message: Message): Promise<void>;
  /**
   * Queues messages that are produced and encoded only when the client has room for them, in
   * order with other sends. While they wait they cost what the iterable holds (for a watch:
   * references to resources the store shares), not their encoded size; they count as one send.
   */
  sendLazily(messages: Iterable<Message>): void;
  describeOverrun(report: OverrunReport<Message>): void;
}

type Queued = Buffer | Iterator<Buffer>;

export class StreamSink implements ResponseStream<Buffer> {
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  /** write() returned false: wait for 'drain'. */
  private blocked = false;
  private roomWaiters: Array<() => void> = [];
  /** end() was called: finish once the queue is written. */
  private ending?: {error?: grpc.ServerErrorResponse};
  private readonly closed = new AbortController();
  private report: OverrunReport<Buffer>;

  constructor(
    private readonly stream: grpc.ServerWritableStream<unknown, Buffer>,
    subject: string,
    private readonly limits: Readonly<StreamLimits> = DEFAULT_STREAM_LIMITS,
  ) {
    this.report = {subject};
    stream.on('drain', () => {
      this.blocked = false;
      this.pump();
    });
    // 'cancelled': the client went away, the deadline passed, or the status was sent.
    stream.on('cancelled', () => this.close());
    stream.on('close', () => this.close());
  }

  /** Aborted when the call ends for any reason: cancelled, finished, or overrun. */
  get signal(): AbortSignal {
    return this.closed.signal;
  }

  /** Sends and encoded bytes waiting in the queue (not yet handed to grpc-js). */
  get queued(): {sends: number; bytes: number} {
    return {sends: this.queue.length, bytes: this.queuedBytes};
  }

  send(message: Buffer): Promise<void> {
    if (this.isDone()) return Promise.resolve();
    if (this.queue.length === 0 && !this.blocked) this.write(message);
    else if (this.enqueue(message, message.length)) this.queuedBytes += message.length;
    return this.hasRoom() ? Promise.resolve() : new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  sendLazily(messages: Iterable<Buffer>): void {
    if (this.isDone()) return;
    if (this.enqueue(messages[Symbol.iterator](), 0)) this.pump();
  }

  describeOverrun(report: OverrunReport<Buffer>): void {
    this.report = report;
  }

  /** Ends the call once everything queued is written: OK, or the given error status. */
  end(error?: grpc.ServerErrorResponse): void {
    if (this.isDone()) return;
    this.ending = {error};
    this.pump();
  }

  private isDone(): boolean {
    return this.closed.signal.aborted || this.ending !== undefined;
  }

  private hasRoom(): boolean {
    return this.closed.signal.aborted || (this.queue.length === 0 && !this.blocked);
  }

  /** Queues one send unless the queue is full, in which case the client has fallen too far behind. */
  private enqueue(entry: Queued, bytes: number): boolean {
    const {maxQueuedSends, maxQueuedBytes} = this.limits;
    if (this.queue.length > 0 && (this.queue.length >= maxQueuedSends || this.queuedBytes + bytes > maxQueuedBytes)) {
      this.overrun();
      return false;
    }
    this.queue.push(entry);
    return true;
  }

  private write(message: Buffer): void {
    if (!this.stream.write(message)) this.blocked = true;
  }

  private pump(): void {
    while (!this.blocked && !this.closed.signal.aborted && this.queue.length > 0) {
      const head = this.queue[0];
      if (Buffer.isBuffer(head)) {
        this.queue.shift();
        this.queuedBytes -= head.length;
        this.write(head);
        continue;
      }
      let next: IteratorResult<Buffer>;
      try {
        next = head.next();
      } catch (error) {
        // pump() runs from 'drain' too: a failing producer ends its own call, never the process.
        this.dropQueue();
        this.finish(toServerError(error));
        return;
      }
      if (next.done === true) this.queue.shift();
      else this.write(next.value);
    }
    if (this.closed.signal.aborted || this.queue.length > 0) return;
    // grpc-js writes what it already holds before the status.
    if (this.ending !== undefined) this.finish(this.ending.error);
    else if (!this.blocked) this.wakeWaiters();
  }

  /** The client fell too far behind: drop what waits, say why, and end the call. */
  private overrun(): void {
    const {maxQueuedSends, maxQueuedBytes} = this.limits;
    const reason =
      `buffer overrun: ${this.report.subject} was cancelled because its client fell behind by more than ` +
      `${maxQueuedSends} messages or ${formatBytes(maxQueuedBytes)} (osd's limit for one stream); ` +
      'read the stream without pausing, then start it again';
    this.dropQueue();
    const last = this.report.lastMessage?.(reason);
    if (last !== undefined) this.stream.write(last);
    this.finish(Object.assign(new Error(reason), {code: grpc.status.RESOURCE_EXHAUSTED, details: reason}));
  }

  private finish(error: grpc.ServerErrorResponse | undefined): void {
    this.close();
    if (error === undefined) this.stream.end();
    else this.stream.emit('error', error);
  }

  /** Releases everything the stream holds and tells the source to stop. */
  private close(): void {
    if (this.closed.signal.aborted) return;
    this.dropQueue();
    this.closed.abort();
    this.wakeWaiters();
  }

  private dropQueue(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private wakeWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}
