// One-to-one proxying to another node (apid's `node` metadata routing, talos-api.md §4.1).
// Frames pass through as opaque Buffers: nothing is decoded or re-encoded on the way.
import * as grpc from '@grpc/grpc-js';
import type {Logger} from '../log.js';
import {ROLE_METADATA_KEY, setForwardedRoles} from './auth.js';

export const NODE_METADATA_KEY = 'node';
export const NODES_METADATA_KEY = 'nodes';
export const PROXY_FROM_METADATA_KEY = 'proxyfrom';

/** 32 MiB, apid's limit. */
export const MAX_MESSAGE_BYTES = 32 << 20;

export type MethodKind = 'unary' | 'clientStream' | 'serverStream' | 'bidi';

export interface ForwardTarget {
  /** The `node` value as the caller gave it, for messages. */
  node: string;
  /** host:port to dial. */
  address: string;
}

export type AnyServerCall =
  | grpc.ServerUnaryCall<Buffer, Buffer>
  | grpc.ServerReadableStream<Buffer, Buffer>
  | grpc.ServerWritableStream<Buffer, Buffer>
  | grpc.ServerDuplexStream<Buffer, Buffer>;

const identity = (value: Buffer): Buffer => value;

// Set by the HTTP/2 and gRPC layers of each connection (as are all `grpc-*` keys).
const TRANSPORT_HEADERS: ReadonlySet<string> = new Set(['content-type', 'te', 'user-agent', 'date']);
// Request keys that address one hop, or that the forwarder sets itself.
const ROUTING_HEADERS: ReadonlySet<string> = new Set([NODE_METADATA_KEY, NODES_METADATA_KEY, PROXY_FROM_METADATA_KEY, ROLE_METADATA_KEY]);

export class Forwarder {
  private readonly clients = new Map<string, grpc.Client>();
  private readonly credentials: grpc.ChannelCredentials;

  /** `ca` verifies the target's server certificate; cert/key (O=os:impersonator) identify this node. */
  constructor(
    tls: {ca: string; cert: string; key: string},
    private readonly log: Logger,
  ) {
    this.credentials = grpc.credentials.createSsl(Buffer.from(tls.ca), Buffer.from(tls.key), Buffer.from(tls.cert));
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  /** Proxies one call to `target` with the caller's roles; the response comes back untouched. */
  forward(
    kind: MethodKind,
    call: AnyServerCall,
    callback: grpc.sendUnaryData<Buffer> | undefined,
    target: ForwardTarget,
    roles: readonly string[],
  ): void {
    const client = this.client(target.address);
    const path = call.getPath();
    const metadata = copyMetadata(call.metadata, ROUTING_HEADERS);
    metadata.set(PROXY_FROM_METADATA_KEY, call.getHost() || 'unknown');
    setForwardedRoles(metadata, roles);
    const deadline = call.getDeadline();
    const options: grpc.CallOptions = isFinite(deadlineMs(deadline)) ? {deadline} : {};

    let failure: grpc.ServiceError | undefined;
    const explain = (error: grpc.ServiceError): grpc.ServerErrorResponse => this.explain(error, client, target);

    switch (kind) {
      case 'unary':
      case 'clientStream': {
        const reply = callback as grpc.sendUnaryData<Buffer>;
        let response: Buffer | undefined;
        const onResponse = (error: grpc.ServiceError | null, value?: Buffer): void => {
          failure = error ?? undefined;
          response = value;
        };
        const upstream =
          kind === 'unary'
            ? client.makeUnaryRequest(path, identity, identity, (call as grpc.ServerUnaryCall<Buffer, Buffer>).request, metadata, options, onResponse)
            : client.makeClientStreamRequest(path, identity, identity, metadata, options, onResponse);
        upstream.on('metadata', (headers: grpc.Metadata) => call.sendMetadata(copyMetadata(headers)));
        // The status (with trailers) arrives after the response callback: answer only then.
        upstream.on('status', (status: grpc.StatusObject) => {
          if (failure !== undefined) reply(explain(failure));
          else reply(null, response, copyMetadata(status.metadata));
        });
        onCancelled(call, () => upstream.cancel());
        if (kind === 'clientStream') pipeRequests(call as grpc.ServerReadableStream<Buffer, Buffer>, upstream as grpc.ClientWritableStream<Buffer>);
        return;
      }
      case 'serverStream':
      case 'bidi': {
        const downstream = call as grpc.ServerWritableStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>;
        const upstream =
          kind === 'serverStream'
            ? client.makeServerStreamRequest(path, identity, identity, (call as grpc.ServerWritableStream<Buffer, Buffer>).request, metadata, options)
            : client.makeBidiStreamRequest(path, identity, identity, metadata, options);
        upstream.on('metadata', (headers: grpc.Metadata) => downstream.sendMetadata(copyMetadata(headers)));
        upstream.on('data', (message: Buffer) => {
          if (!downstream.write(message)) {
            upstream.pause();
            downstream.once('drain', () => upstream.resume());
          }
        });
        upstream.on('error', (error: grpc.ServiceError) => (failure = error));
        // Finish once every message was relayed ('end') and the status is known ('status').
        let ended = false;
        let trailers: grpc.Metadata | undefined;
        const finish = (): void => {
          if (!ended || trailers === undefined || downstream.cancelled) return;
          if (failure !== undefined) downstream.emit('error', explain(failure));
          else downstream.end(trailers);
        };
        upstream.on('end', () => {
          ended = true;
          finish();
        });
        upstream.on('status', (status: grpc.StatusObject) => {
          trailers = copyMetadata(status.metadata);
          finish();
        });
        onCancelled(call, () => upstream.cancel());
        if (kind === 'bidi') pipeRequests(call as grpc.ServerDuplexStream<Buffer, Buffer>, upstream as grpc.ClientDuplexStream<Buffer, Buffer>);
        return;
      }
    }
  }

  private client(address: string): grpc.Client {
    let client = this.clients.get(address);
    if (client === undefined) {
      client = new grpc.Client(address, this.credentials, {
        'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
        'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
        'grpc.enable_http_proxy': 0,
      });
      this.clients.set(address, client);
    }
    return client;
  }

  /** A transport failure (the node never answered) names the node; the node's own errors pass as they are. */
  private explain(error: grpc.ServiceError, client: grpc.Client, target: ForwardTarget): grpc.ServerErrorResponse {
    const unreachable =
      error.code === grpc.status.UNAVAILABLE &&
      client.getChannel().getConnectivityState(false) !== grpc.connectivityState.READY;
    if (!unreachable) return Object.assign(error, {metadata: copyMetadata(error.metadata)});
    const details = `node ${target.node} (${target.address}) is unreachable: ${error.details}`;
    this.log.warn(`forwarding failed: ${details}`);
    return Object.assign(new Error(details), {code: grpc.status.UNAVAILABLE, details});
  }
}

/** The application metadata of one hop, ready for the next. */
function copyMetadata(source: grpc.Metadata, skip: ReadonlySet<string> = new Set()): grpc.Metadata {
  const copy = new grpc.Metadata();
  for (const key of Object.keys(source.getMap())) {
    if (TRANSPORT_HEADERS.has(key) || skip.has(key) || key.startsWith('grpc-')) continue;
    for (const value of source.get(key)) copy.add(key, value);
  }
  return copy;
}

/** Client-to-server messages of a streaming request, with backpressure and half-close. */
function pipeRequests(
  downstream: grpc.ServerReadableStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>,
  upstream: grpc.ClientWritableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>,
): void {
  downstream.on('data', (message: Buffer) => {
    if (!upstream.write(message)) {
      downstream.pause();
      upstream.once('drain', () => downstream.resume());
    }
  });
  downstream.on('end', () => upstream.end());
}

/** `cancelled`: the client went away or the deadline passed. */
export function onCancelled(call: AnyServerCall, listener: () => void): void {
  (call as grpc.ServerUnaryCall<Buffer, Buffer>).on('cancelled', listener);
}

function deadlineMs(deadline: grpc.Deadline): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}
