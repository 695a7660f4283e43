// The gRPC transport: one mTLS channel through an endpoint, calls routed to nodes with the
// `node` metadata key (Talos's one-to-one proxying). Loaded lazily: grpc-js costs ~40 ms to import.
// Transport code never prints; failures are returned as NodeCallError for the command to explain.
import * as grpc from '@grpc/grpc-js';
import {CallSite, ClientCertificateFacts, CliError, explainRpcError, isRpcError, RpcErrorLike} from './errors.js';

/** 32 MiB, apid's receive limit and the Go client's. */
const MAX_MESSAGE_BYTES = 32 << 20;

export interface ClientTarget {
  configPath: string;
  contextName: string;
  /** host:port, already normalized */
  endpoints: string[];
  ca: string;
  crt: string;
  key: string;
  clientCertificate?: ClientCertificateFacts;
  /** per-call deadline for unary calls and for connecting */
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

export class OsClient {
  private constructor(
    private readonly target: ClientTarget,
    private readonly channel: grpc.Client,
    readonly endpoint: string,
  ) {}

  /**
   * Connects to the first endpoint that comes up, starting at a random one so clients spread
   * over the endpoints (round-robin), failing over to the next one that refuses.
   * When none comes up, the last channel is kept: the first call then fails fast with the
   * transport's own reason (refused, TLS), which is more useful than "could not connect".
   */
  static async connect(target: ClientTarget): Promise<OsClient> {
    const credentials = grpc.credentials.createSsl(Buffer.from(target.ca), Buffer.from(target.key), Buffer.from(target.crt));
    const start = Math.floor(Math.random() * target.endpoints.length);
    for (let i = 0; ; i++) {
      const endpoint = target.endpoints[(start + i) % target.endpoints.length];
      const channel = new grpc.Client(endpoint, credentials, {
        'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
        'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
        // Talos sets no keepalive policy: grpc-go answers pings more often than 5 min with GOAWAY.
        'grpc.keepalive_time_ms': 300_000,
        'grpc.enable_http_proxy': 0,
      });
      if (i === target.endpoints.length - 1 || (await connects(channel, target))) {
        return new OsClient(target, channel, endpoint);
      }
      channel.close();
    }
  }

  close(): void {
    this.channel.close();
  }

  private site(node?: string): CallSite {
    return {...siteOf(this.target, this.endpoint), node};
  }

  private metadata(node?: string): grpc.Metadata {
    const md = new grpc.Metadata();
    if (node) md.set('node', node);
    return md;
  }

  unary<Req, Res>(method: Method<Req, Res>, request: Req, node?: string): Promise<Res> {
    return new Promise((resolve, reject) => {
      const call = this.channel.makeUnaryRequest(
        method.path, method.requestSerialize, method.responseDeserialize, request, this.metadata(node),
        {deadline: Date.now() + this.target.timeoutMs},
        (err, res) => {
          this.target.signal.removeEventListener('abort', cancel);
          if (err) reject(new NodeCallError(err, this.site(node)));
          else resolve(res!);
        },
      );
      const cancel = () => call.cancel();
      this.target.signal.addEventListener('abort', cancel, {once: true});
    });
  }

  /** A server stream as an async iterable; no overall deadline, since streams may be long. */
  serverStream<Req, Res>(method: Method<Req, Res>, request: Req, node?: string): ServerStream<Res> {
    const call = this.channel.makeServerStreamRequest(
      method.path, method.requestSerialize, method.responseDeserialize, request, this.metadata(node), {},
    );
    const cancel = () => call.cancel();
    this.target.signal.addEventListener('abort', cancel, {once: true});
    const site = this.site(node);
    const signal = this.target.signal;
    return {
      cancel,
      async *[Symbol.asyncIterator]() {
        try {
          for await (const message of call) yield message as Res;
        } catch (err) {
          if (signal.aborted) throw signal.reason;
          throw isRpcError(err) ? new NodeCallError(err, site) : err;
        } finally {
          signal.removeEventListener('abort', cancel);
          call.cancel();
        }
      },
    };
  }
}

function siteOf(target: ClientTarget, endpoint: string): CallSite {
  return {configPath: target.configPath, contextName: target.contextName, endpoint, timeoutMs: target.timeoutMs, clientCertificate: target.clientCertificate};
}

/** Whether the channel reaches READY before it fails, the deadline passes or the user cancels. */
function connects(channel: grpc.Client, target: ClientTarget): Promise<boolean> {
  const deadline = Date.now() + target.timeoutMs;
  const raw = channel.getChannel();
  return new Promise((resolve) => {
    const check = () => {
      const state = raw.getConnectivityState(true);
      if (state === grpc.connectivityState.READY) return resolve(true);
      if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN || target.signal.aborted) {
        return resolve(false);
      }
      raw.watchConnectivityState(state, deadline, (err) => (err ? resolve(false) : check()));
    };
    check();
  });
}
