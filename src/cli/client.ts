// The gRPC transport: one mTLS channel through an endpoint, calls routed to nodes with the
// `node` metadata key (Talos's one-to-one proxying). Loaded lazily: grpc-js costs ~40 ms to import.
// Transport code never prints; failures are returned as NodeCallError for the command to explain.
//
// Nothing here may keep the process alive after `close()`: every call has a deadline (streams:
// until their first answer), connecting has one, and `close()` cancels live calls and ends TLS
// handshakes still in progress (grpc-js leaves those running, and a silent peer holds them forever).
import * as grpc from '@grpc/grpc-js';
import {closableCredentials, type ClosableCredentials} from '../machinery/grpc-credentials.js';
import {CallSite, ClientCertificateFacts, CliError, explainRpcError, isRpcError, RpcErrorLike, Status} from './errors.js';
import {timerDelay} from './duration.js';
import {FLOW_CONTROL_WINDOW_BYTES, MAX_MESSAGE_BYTES} from '../machinery/grpc-channel.js';


/** How long an endpoint may take to come up before the next one is tried alongside it. */
const FAILOVER_DELAY_MS = 1000;

export interface ClientTarget {
  configPath: string;
  contextName: string;
  /** host:port, already normalized */
  endpoints: string[];
  ca: string;
  crt: string;
  key: string;
  clientCertificate?: ClientCertificateFacts;
  /** deadline for connecting, for each unary call and List, and for a stream's first answer */
  timeoutMs: number;
  signal: AbortSignal;
}

/** A failed call, with where it went. `message` is the explained sentence. */
export class NodeCallError extends CliError {
  readonly code: number;
  readonly details: string;

  constructor(err: RpcErrorLike, readonly site: CallSite) {
    super(explainRpcError(err, site));
    this.code = err.code;
    this.details = err.details;
  }
}

type Method<Req, Res> = grpc.MethodDefinition<Req, Res>;

export interface ServerStream<Res> extends AsyncIterable<Res> {
  cancel(): void;
}

/**
 * How long a server stream may run: `call` bounds the whole call (List), `first-answer` only
 * connecting and the first message (Watch), after which the stream may last, `none` nothing (a
 * followed log may stay silent for hours before its first line; Ctrl-C or the server ends it).
 */
export type StreamDeadline = 'call' | 'first-answer' | 'none';

/** One channel to one endpoint, closed together with its handshakes. */
class Connection {
  readonly channel: grpc.Client;
  private readonly credentials: ClosableCredentials;

  constructor(readonly endpoint: string, target: ClientTarget) {
    // Connecting is bounded by the timeout already; close() ends a handshake still running then.
    this.credentials = closableCredentials(
      grpc.credentials.createSsl(Buffer.from(target.ca), Buffer.from(target.key), Buffer.from(target.crt)),
    );
    this.channel = new grpc.Client(endpoint, this.credentials.credentials, {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
      // Talos sets no keepalive policy: grpc-go answers pings more often than 5 min with GOAWAY.
      'grpc.keepalive_time_ms': 300_000,
      'grpc.enable_http_proxy': 0,
    });
  }

  close(): void {
    this.channel.close();
    this.credentials.close();
  }
}

type Outcome = 'ready' | 'failed' | 'timeout';

/** A connection attempt and how it ended, known synchronously once it has. */
interface Attempt {
  connection: Connection;
  outcome?: Outcome;
  settled: Promise<Outcome>;
}

interface LiveCall {
  cancel(): void;
}

export class OsClient {
  private readonly live = new Set<LiveCall>();
  private readonly cancelAll = () => {
    for (const call of this.live) call.cancel();
  };

  /**
   * @param unreachable set when no endpoint came up within the deadline: every call then fails
   *   at once with it (naming the endpoint, not the node), instead of waiting a second deadline
   *   for a connection that is not coming.
   */
  private constructor(
    private readonly target: ClientTarget,
    private readonly connection: Connection,
    private readonly unreachable?: RpcErrorLike,
  ) {
    // One listener per client, not one per call: a fan-out over many nodes would otherwise add
    // dozens to the one process-wide signal (MaxListenersExceededWarning past 10).
    target.signal.addEventListener('abort', this.cancelAll, {once: true});
  }

  get endpoint(): string {
    return this.connection.endpoint;
  }

  /**
   * Connects through the first endpoint that comes up, starting at a random one so clients
   * spread over the endpoints. The next endpoint is tried when one fails, or alongside it when it
   * has not come up within FAILOVER_DELAY_MS or its share of the timeout (a silent endpoint must
   * not cost the whole timeout); the first one ready wins. All of it is bounded by the timeout.
   * When every endpoint fails, the last channel is kept: the first call then fails fast with the
   * transport's own reason (refused, TLS), which is more useful than "could not connect".
   */
  static async connect(target: ClientTarget): Promise<OsClient> {
    const {endpoints, signal} = target;
    if (signal.aborted) throw signal.reason;
    const deadline = Date.now() + target.timeoutMs;
    const start = Math.floor(Math.random() * endpoints.length);
    const attempts: Attempt[] = [];
    const keep = (attempt: Attempt, unreachable?: RpcErrorLike) => {
      for (const other of attempts) if (other !== attempt) other.connection.close();
      return new OsClient(target, attempt.connection, unreachable);
    };
    for (let i = 0; i < endpoints.length; i++) {
      attempts.push(attempt(new Connection(endpoints[(start + i) % endpoints.length], target), deadline));
      // Each endpoint still to try gets its share of the time left, so a short timeout reaches them all.
      const left = endpoints.length - i;
      await firstSettled(attempts, left === 1 ? deadline : Date.now() + Math.min(FAILOVER_DELAY_MS, (deadline - Date.now()) / left), signal);
      if (signal.aborted) {
        for (const a of attempts) a.connection.close();
        throw signal.reason;
      }
      const ready = attempts.find((a) => a.outcome === 'ready');
      if (ready) return keep(ready);
      if (Date.now() >= deadline) break;
    }
    const lastStarted = attempts[attempts.length - 1];
    if (attempts.every((a) => a.outcome === 'failed')) return keep(lastStarted);
    const silent = attempts.find((a) => a.outcome !== 'failed') ?? lastStarted;
    return keep(silent, {code: Status.DEADLINE_EXCEEDED, details: 'no answer while connecting'});
  }

  /** Cancels calls still running and closes the connection; nothing of it outlives this. */
  close(): void {
    this.target.signal.removeEventListener('abort', this.cancelAll);
    this.cancelAll();
    this.connection.close();
  }

  private site(node?: string): CallSite {
    return {
      configPath: this.target.configPath,
      contextName: this.target.contextName,
      endpoint: this.endpoint,
      node,
      timeoutMs: this.target.timeoutMs,
      clientCertificate: this.target.clientCertificate,
    };
  }

  private metadata(node?: string): grpc.Metadata {
    const md = new grpc.Metadata();
    if (node) md.set('node', node);
    return md;
  }

  /** The error a failed call becomes: the cancellation itself after Ctrl-C, else an explained NodeCallError. */
  private failure(err: unknown, node?: string): unknown {
    if (this.target.signal.aborted) return this.target.signal.reason;
    return isRpcError(err) ? new NodeCallError(err, this.site(node)) : err;
  }

  /** Why no call can start now: Ctrl-C was pressed, or no endpoint came up in time. */
  private refusal(): unknown {
    if (this.target.signal.aborted) return this.target.signal.reason;
    return this.unreachable ? new NodeCallError(this.unreachable, this.site()) : undefined;
  }

  private track(call: LiveCall): () => void {
    this.live.add(call);
    return () => this.live.delete(call);
  }

  unary<Req, Res>(method: Method<Req, Res>, request: Req, node?: string): Promise<Res> {
    const refusal = this.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    return new Promise((resolve, reject) => {
      const call = this.connection.channel.makeUnaryRequest(
        method.path, method.requestSerialize, method.responseDeserialize, request, this.metadata(node),
        {deadline: Date.now() + this.target.timeoutMs},
        (err, res) => {
          untrack();
          if (err) reject(this.failure(err, node));
          else resolve(res!);
        },
      );
      const untrack = this.track(call);
    });
  }

  /** A server stream as an async iterable, bounded as `deadline` says. */
  serverStream<Req, Res>(method: Method<Req, Res>, request: Req, node: string | undefined, deadline: StreamDeadline): ServerStream<Res> {
    const timeoutMs = this.target.timeoutMs;
    const refusal = this.refusal();
    if (refusal !== undefined) {
      return {
        cancel: () => {},
        async *[Symbol.asyncIterator]() {
          throw refusal;
        },
      };
    }
    const call = this.connection.channel.makeServerStreamRequest(
      method.path, method.requestSerialize, method.responseDeserialize, request, this.metadata(node),
      deadline === 'call' ? {deadline: Date.now() + timeoutMs} : {},
    );
    const untrack = this.track(call);
    // A stream that may last still has to start: no first answer within the timeout ends it.
    let unanswered = false;
    const firstAnswer = deadline === 'first-answer'
      ? setTimeout(() => {
        unanswered = true;
        call.cancel();
      }, timerDelay(timeoutMs))
      : undefined;
    const client = this;
    return {
      cancel: () => call.cancel(),
      async *[Symbol.asyncIterator]() {
        try {
          for await (const message of call) {
            clearTimeout(firstAnswer);
            yield message as Res;
          }
        } catch (err) {
          if (unanswered) throw new NodeCallError({code: Status.DEADLINE_EXCEEDED, details: 'no first answer'}, client.site(node));
          throw client.failure(err, node);
        } finally {
          clearTimeout(firstAnswer);
          untrack();
          call.cancel();
        }
      },
    };
  }

  /** A client-streaming call (see ClientStream). */
  clientStream<Req, Res>(method: Method<Req, Res>, node?: string): ClientStream<Req, Res> {
    const refusal = this.refusal();
    if (refusal !== undefined) {
      const refused = Promise.reject(refusal);
      refused.catch(() => {});
      return {write: () => refused, finish: () => refused, cancel: () => {}};
    }
    let untrack = () => {};
    let call!: grpc.ClientWritableStream<Req>;
    const answer = new Promise<Res>((resolve, reject) => {
      call = this.connection.channel.makeClientStreamRequest(
        method.path, method.requestSerialize, method.responseDeserialize, this.metadata(node), {},
        (err, res) => {
          untrack();
          if (err) reject(this.failure(err, node));
          else resolve(res!);
        },
      );
    });
    answer.catch(() => {}); // observed by write/finish; a cancelled upload is no unhandled rejection
    untrack = this.track(call);
    // What a waiting write races against: the call ending before the upload did.
    const ended = answer.then(() => {
      throw new Error('the node answered before the upload was complete');
    });
    ended.catch(() => {});
    return {
      async write(message) {
        if (call.write(message)) return;
        let onDrain: (() => void) | undefined;
        try {
          await Promise.race([new Promise<void>((resolve) => call.once('drain', (onDrain = resolve))), ended]);
        } finally {
          if (onDrain) call.off('drain', onDrain);
        }
      },
      finish: async () => {
        call.end();
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            call.cancel();
            reject(new NodeCallError({code: Status.DEADLINE_EXCEEDED, details: 'no answer after the upload'}, this.site(node)));
          }, timerDelay(this.target.timeoutMs));
        });
        try {
          return await Promise.race([answer, timedOut]);
        } finally {
          clearTimeout(timer);
        }
      },
      cancel: () => call.cancel(),
    };
  }
}

/**
 * A client stream (EtcdRecover): `write` sends one message and waits while the transport is full
 * (rejecting once the call has failed); `finish` half-closes and waits for the one answer, at most
 * the timeout; `cancel` ends it. Sending has no deadline of its own: the caller watches for stalls.
 */
export interface ClientStream<Req, Res> {
  write(message: Req): Promise<void>;
  finish(): Promise<Res>;
  cancel(): void;
}

/** Watches a connection attempt until it is ready, fails, or the deadline passes. */
function attempt(connection: Connection, deadline: number): Attempt {
  const channel = connection.channel.getChannel();
  const result: Attempt = {
    connection,
    settled: new Promise<Outcome>((resolve) => {
      const check = () => {
        const state = channel.getConnectivityState(true);
        if (state === grpc.connectivityState.READY) return resolve('ready');
        if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) return resolve('failed');
        channel.watchConnectivityState(state, Date.now() + timerDelay(deadline - Date.now()), (err) => (err ? resolve('timeout') : check()));
      };
      check();
    }).then((outcome) => (result.outcome = outcome)),
  };
  return result;
}

/** Resolves when one attempt is ready, when every attempt has ended, at `until`, or on abort. */
async function firstSettled(attempts: Attempt[], until: number, signal: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      ...attempts.map((a) => a.settled.then((o) => (o === 'ready' ? undefined : new Promise<void>(() => {})))),
      Promise.all(attempts.map((a) => a.settled)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timerDelay(until - Date.now())))),
      new Promise<void>((resolve) => signal.addEventListener('abort', (onAbort = () => resolve()), {once: true})),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
