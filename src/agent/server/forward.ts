// Calls to other nodes (apid's proxying, talos-api.md §4): one-to-one relaying here, one-to-many
// in one-to-many.ts. Frames pass through as opaque Buffers: nothing is decoded on the way. Every
// call to a node is bounded: connecting always, unary calls always, streams by the caller only.
import {FLOW_CONTROL_WINDOW_BYTES, MAX_MESSAGE_BYTES} from '../../machinery/grpc-channel.js';
import * as grpc from '@grpc/grpc-js';
import {classifyConnectionFailure, describeConnectionFailure} from '../../machinery/connection-failure.js';
import {closableCredentials, type ClosableCredentials} from '../../machinery/grpc-credentials.js';
import type {Logger} from '../log.js';
import {ROLE_METADATA_KEY, setForwardedRoles} from './auth.js';
import {relayWithBackpressure, type Downstream, type RequestSink} from './downstream.js';

export const NODE_METADATA_KEY = 'node';
export const NODES_METADATA_KEY = 'nodes';
export const PROXY_FROM_METADATA_KEY = 'proxyfrom';

export {MAX_MESSAGE_BYTES};

export interface ForwardTarget {
  /** The node as the caller named it, for messages (and `metadata.hostname` in one-to-many). */
  node: string;
  /** host:port to dial. */
  address: string;
}

/** How long a call may wait for another node. */
export interface ForwardingLimits {
  /** TCP, TLS and HTTP/2 set-up with the node must finish within this. */
  connectMs: number;
  /** The deadline of a unary call whose caller gave none; streams get none, so they last while healthy. */
  unaryMs: number;
}

export const DEFAULT_FORWARDING_LIMITS: ForwardingLimits = {
  // Set-up takes milliseconds on a cluster network; a node that accepts TCP and then says nothing must not hold calls.
  connectMs: 10_000,
  // Far above any healthy unary call (image pulls and etcd defragmentation included).
  unaryMs: 5 * 60_000,
};

/** A channel without calls for this long stops connecting (grpc-js's default is 30 min). */
const IDLE_CHANNEL_MS = 60_000;

/** A forwarded call ends this much before the caller's deadline (at most), so its failure, naming the node, reaches the caller first. */
const DEADLINE_HEADROOM_MS = 500;

/** Receives what a node answers. */
export interface UpstreamListener {
  metadata?(headers: grpc.Metadata): void;
  message(message: Buffer): void;
  /** Called once, when the call is over. `error` names the node when the node itself could not be reached in time. */
  done(error: grpc.ServiceError | undefined, trailers: grpc.Metadata): void;
}

/** One call to another node: requests in (RequestSink), responses out through its listener. */
export interface Upstream extends RequestSink {
  pause(): void;
  resume(): void;
  cancel(): void;
}

const identity = (value: Buffer): Buffer => value;

// Set by the HTTP/2 and gRPC layers of each connection (as are all `grpc-*` keys).
const TRANSPORT_HEADERS: ReadonlySet<string> = new Set(['content-type', 'te', 'user-agent', 'date']);
// Request keys that address one hop, or that the forwarder sets itself.
const ROUTING_HEADERS: ReadonlySet<string> = new Set([NODE_METADATA_KEY, NODES_METADATA_KEY, PROXY_FROM_METADATA_KEY, ROLE_METADATA_KEY]);

export class Forwarder {
  private readonly clients = new Map<string, grpc.Client>();
  /** Why a connection that did not become ready in time was closed: every call still waiting on it fails for that reason. */
  private readonly abandoned = new WeakMap<grpc.Client, string>();
  private readonly credentials: ClosableCredentials;

  /** `ca` verifies the target's server certificate; cert/key (O=os:impersonator) identify this node. */
  constructor(
    tls: {ca: string; cert: string; key: string},
    private readonly log: Logger,
    private readonly limits: ForwardingLimits = DEFAULT_FORWARDING_LIMITS,
  ) {
    // A node that accepts TCP and then says nothing must not keep the channel connecting.
    this.credentials = closableCredentials(
      grpc.credentials.createSsl(Buffer.from(tls.ca), Buffer.from(tls.key), Buffer.from(tls.cert)),
      {handshakeTimeoutMs: limits.connectMs},
    );
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
    this.credentials.close();
  }

  /** Proxies the call one-to-one to `target` with the caller's roles; the response comes back untouched. */
  forward(downstream: Downstream, target: ForwardTarget, roles: readonly string[]): void {
    const relay = relayWithBackpressure(
      {write: (message) => downstream.send(message), onceDrain: (listener) => downstream.onceDrain(listener)},
      {pause: () => upstream.pause(), resume: () => upstream.resume()},
    );
    const upstream = this.open(downstream, target, roles, {
      metadata: (headers) => downstream.sendMetadata(headers),
      message: relay,
      done: (error, trailers) => (error === undefined ? downstream.finish(trailers) : downstream.fail(error)),
    });
    downstream.onCancelled(() => upstream.cancel());
    downstream.pipeRequests(upstream);
  }

  /**
   * Starts the call of `downstream` on `target`, as a bidirectional stream whatever the method's
   * kind (the frames on the wire are the same), so that any method can be relayed.
   */
  open(downstream: Downstream, target: ForwardTarget, roles: readonly string[], listener: UpstreamListener): Upstream {
    const client = this.client(target.address);
    const metadata = copyMetadata(downstream.metadata, ROUTING_HEADERS);
    metadata.set(PROXY_FROM_METADATA_KEY, downstream.call.getHost() || 'unknown');
    setForwardedRoles(metadata, roles);
    const deadline = this.deadline(downstream);
    const stream = client.makeBidiStreamRequest(downstream.path, identity, identity, metadata, deadline === undefined ? {} : {deadline});

    let connectTimedOut = false;
    let cancelledByCaller = false;
    let answered = false;
    const stopBounding = this.boundConnecting(client, deadline, () => {
      connectTimedOut = true;
      this.drop(target.address, client, `no connection within ${seconds(this.limits.connectMs)}`);
      stream.cancel();
    });

    let failure: grpc.ServiceError | undefined;
    let ended = false;
    let trailers: grpc.Metadata | undefined;
    const drainWaiters: Array<() => void> = [];
    const finish = (): void => {
      if (!ended || trailers === undefined) return;
      stopBounding();
      for (const waiter of drainWaiters.splice(0)) waiter();
      const error = failure === undefined ? undefined : this.explain(failure, client, target, {connectTimedOut, cancelledByCaller, answered});
      listener.done(error, trailers);
    };
    stream.on('metadata', (headers: grpc.Metadata) => {
      answered = true;
      listener.metadata?.(copyMetadata(headers));
    });
    stream.on('data', (message: Buffer) => listener.message(message));
    stream.on('error', (error: grpc.ServiceError) => (failure = error));
    // Done once every message was delivered ('end') and the status is known ('status').
    stream.on('end', () => {
      ended = true;
      finish();
    });
    stream.on('status', (status: grpc.StatusObject) => {
      trailers = copyMetadata(status.metadata);
      finish();
    });
    stream.on('drain', () => {
      for (const waiter of drainWaiters.splice(0)) waiter();
    });

    return {
      write: (message) => trailers !== undefined || stream.write(message),
      end: () => stream.end(),
      onceDrain: (waiter) => (trailers === undefined ? drainWaiters.push(waiter) : waiter()),
      pause: () => stream.pause(),
      resume: () => stream.resume(),
      cancel: () => {
        cancelledByCaller = true;
        stream.cancel();
      },
    };
  }

  /** The caller's deadline less some headroom; a unary call without one gets its own. */
  private deadline(downstream: Downstream): number | undefined {
    const callerDeadline = deadlineMs(downstream.call.getDeadline());
    const now = Date.now();
    if (Number.isFinite(callerDeadline)) return callerDeadline - Math.min(DEADLINE_HEADROOM_MS, Math.max(0, callerDeadline - now) / 10);
    return downstream.kind === 'unary' ? now + this.limits.unaryMs : undefined;
  }

  /**
   * Calls `onTimeout` when the connection to the node is not ready within the connect limit (unless
   * the call's deadline, which grpc-js enforces itself, comes first). grpc-js has no connect
   * timeout; closableCredentials ends a stalled TLS handshake, this bounds the rest of connecting
   * (a TCP connect to a host that drops packets, an HTTP/2 preface that never comes).
   */
  private boundConnecting(client: grpc.Client, deadline: number | undefined, onTimeout: () => void): () => void {
    const channel = client.getChannel();
    const limit = Date.now() + this.limits.connectMs;
    if (deadline !== undefined && deadline <= limit) return () => {};
    let stopped = false;
    const check = (): void => {
      if (stopped) return;
      const state = channel.getConnectivityState(true);
      if (state === grpc.connectivityState.READY || state === grpc.connectivityState.SHUTDOWN) return;
      if (Date.now() >= limit) onTimeout();
      else channel.watchConnectivityState(state, limit, check);
    };
    check();
    return () => (stopped = true);
  }

  private client(address: string): grpc.Client {
    let client = this.clients.get(address);
    if (client === undefined) {
      client = new grpc.Client(address, this.credentials.credentials, {
        'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
        'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
        'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
        'grpc.enable_http_proxy': 0,
        // As apid: a node that was down (rebooting) is dialled again within 15 s, not grpc-js's 2 min.
        'grpc.max_reconnect_backoff_ms': 15_000,
        // A channel left without calls stops (re)connecting; a failed one is dropped at once (explain).
        'grpc.client_idle_timeout_ms': IDLE_CHANNEL_MS,
      });
      this.clients.set(address, client);
    }
    return client;
  }

  /**
   * Forgets a connection that is not ready, so the next call dials the node afresh, and nothing
   * redials it meanwhile (grpc-js would keep reconnecting a failed channel for nobody).
   */
  private drop(address: string, client: grpc.Client, reason: string): void {
    if (this.clients.get(address) === client) this.clients.delete(address);
    this.abandoned.set(client, reason);
    client.close();
  }

  /**
   * Failures to reach the node name the node in one clean sentence (grpc-js's own framing stays
   * in osd's log); a node that ended the call itself, without the caller asking, is unavailable,
   * not "canceled"; the node's own errors pass as they are.
   */
  private explain(
    error: grpc.ServiceError,
    client: grpc.Client,
    target: ForwardTarget,
    call: {connectTimedOut: boolean; cancelledByCaller: boolean; answered: boolean},
  ): grpc.ServiceError {
    const where = `node ${target.node} (${target.address})`;
    const state = client.getChannel().getConnectivityState(false);
    const connected = state === grpc.connectivityState.READY;
    let code: grpc.status;
    let details: string;
    if (call.connectTimedOut) {
      code = grpc.status.UNAVAILABLE;
      details = `${where} is unreachable: ${this.abandoned.get(client)}`;
    } else if (error.code === grpc.status.DEADLINE_EXCEEDED) {
      code = grpc.status.DEADLINE_EXCEEDED;
      details = connected ? `${where} did not complete the call before the deadline` : `${where} is unreachable: no connection before the deadline`;
      if (!connected) this.drop(target.address, client, 'no connection before the deadline');
    } else if (!call.cancelledByCaller && (error.code === grpc.status.CANCELLED || (error.code === grpc.status.UNAVAILABLE && call.answered && !connected))) {
      // The node had answered, and then the call ended without a status of its own: grpc-js says
      // CANCELLED when the node's server cancelled it (its agent stopping), UNAVAILABLE when the
      // connection went away (the agent killed, the network lost).
      code = grpc.status.UNAVAILABLE;
      details = `${where} ended the call: its agent stopped, or the connection to it was lost`;
    } else if (error.code === grpc.status.UNAVAILABLE && !connected) {
      code = grpc.status.UNAVAILABLE;
      const failure = classifyConnectionFailure(error.details);
      const reason = this.abandoned.get(client) ?? (failure === undefined ? error.details : describeConnectionFailure(failure));
      details = `${where} is unreachable: ${reason}`;
      this.drop(target.address, client, reason);
    } else {
      return Object.assign(error, {metadata: copyMetadata(error.metadata)});
    }
    this.log.warn(`forwarding failed: ${details} (${error.details})`);
    return Object.assign(new Error(details), {code, details, metadata: new grpc.Metadata()});
  }
}

/** The application metadata of one hop, ready for the next. */
export function copyMetadata(source: grpc.Metadata, skip: ReadonlySet<string> = new Set()): grpc.Metadata {
  const copy = new grpc.Metadata();
  for (const key of Object.keys(source.getMap())) {
    if (TRANSPORT_HEADERS.has(key) || skip.has(key) || key.startsWith('grpc-')) continue;
    for (const value of source.get(key)) copy.add(key, value);
  }
  return copy;
}

function deadlineMs(deadline: grpc.Deadline): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

function seconds(ms: number): string {
  return `${ms / 1000}s`;
}
