// The server side of one call, whatever its kind, as request messages in and response messages
// out, so that relaying (one-to-one or one-to-many) is written once. grpc-js gives each kind its
// own call object; this hides the difference.
import * as grpc from '@grpc/grpc-js';
import {toServerError} from './rpc-error.js';

export type MethodKind = 'unary' | 'clientStream' | 'serverStream' | 'bidi';

export type AnyServerCall =
  | grpc.ServerUnaryCall<Buffer, Buffer>
  | grpc.ServerReadableStream<Buffer, Buffer>
  | grpc.ServerWritableStream<Buffer, Buffer>
  | grpc.ServerDuplexStream<Buffer, Buffer>;

type RequestStream = grpc.ServerReadableStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>;
type ResponseStream = grpc.ServerWritableStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>;

/** Where request messages go: an upstream call, or several. */
export interface RequestSink {
  /** false: stop sending until `drain` calls back. */
  write(message: Buffer): boolean;
  /** The client half-closed: no more requests. */
  end(): void;
  onceDrain(listener: () => void): void;
}

export class Downstream {
  private response: Buffer[] = [];
  private finished = false;

  constructor(
    readonly kind: MethodKind,
    readonly call: AnyServerCall,
    private readonly callback: grpc.sendUnaryData<Buffer> | undefined,
  ) {}

  get path(): string {
    return this.call.getPath();
  }

  get metadata(): grpc.Metadata {
    return this.call.metadata;
  }

  get cancelled(): boolean {
    return this.call.cancelled;
  }

  /** The client went away or its deadline passed. */
  onCancelled(listener: () => void): void {
    (this.call as grpc.ServerUnaryCall<Buffer, Buffer>).on('cancelled', listener);
  }

  /** Feeds the request messages to `sink` with flow control, then half-closes it. */
  pipeRequests(sink: RequestSink): void {
    if (this.kind === 'unary' || this.kind === 'serverStream') {
      sink.write((this.call as grpc.ServerUnaryCall<Buffer, Buffer>).request);
      sink.end();
      return;
    }
    const requests = this.call as RequestStream;
    requests.on('data', relayWithBackpressure(sink, requests));
    requests.on('end', () => sink.end());
  }

  sendMetadata(headers: grpc.Metadata): void {
    if (!this.finished) this.call.sendMetadata(headers);
  }

  /**
   * Sends one response message (unary kinds hold it until `finish`). false: the client reads
   * slower than messages arrive; wait for `onceDrain`.
   */
  send(message: Buffer): boolean {
    if (this.finished || this.cancelled) return true;
    if (!this.streamsResponses) {
      this.response.push(message);
      return true;
    }
    return (this.call as ResponseStream).write(message);
  }

  onceDrain(listener: () => void): void {
    if (this.streamsResponses) (this.call as ResponseStream).once('drain', listener);
    else listener();
  }

  /** Ends the call with status OK. */
  finish(trailers: grpc.Metadata = new grpc.Metadata()): void {
    if (this.finished) return;
    if (!this.streamsResponses) {
      if (this.response.length !== 1) {
        this.fail(new Error(`expected one response message for ${this.path}, got ${this.response.length}`));
        return;
      }
      this.finished = true;
      this.callback?.(null, this.response[0], trailers);
      return;
    }
    this.finished = true;
    if (!this.cancelled) (this.call as ResponseStream).end(trailers);
  }

  /** Ends the call with the status of `error`, bounded (rpc-error.ts). */
  fail(error: unknown): grpc.ServerErrorResponse {
    const serverError = toServerError(error);
    if (this.finished) return serverError;
    this.finished = true;
    if (!this.streamsResponses) this.callback?.(serverError);
    else if (!this.cancelled) (this.call as ResponseStream).emit('error', serverError);
    return serverError;
  }

  private get streamsResponses(): boolean {
    return this.kind === 'serverStream' || this.kind === 'bidi';
  }
}

/**
 * Writes messages from `source` into `sink`; when the sink refuses one (its buffer is full), the
 * source is paused until the sink drains, so nothing queues up in between.
 */
export function relayWithBackpressure(
  sink: {write(message: Buffer): boolean; onceDrain(listener: () => void): void},
  source: {pause(): void; resume(): void},
): (message: Buffer) => void {
  let paused = false;
  return (message) => {
    if (sink.write(message) || paused) return;
    paused = true;
    source.pause();
    sink.onceDrain(() => {
      paused = false;
      source.resume();
    });
  };
}

export function methodKind(method: {requestStream: boolean; responseStream: boolean}): MethodKind {
  if (method.requestStream) return method.responseStream ? 'bidi' : 'clientStream';
  return method.responseStream ? 'serverStream' : 'unary';
}
