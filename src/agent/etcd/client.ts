// A small client for etcd's v3 gRPC API over mutual TLS (the etcd CA's client certificate), built
// on the generated etcdserverpb definitions. osd uses it to join, check and inspect its members;
// every call has a deadline and follows the caller's abort signal.
import * as grpc from '@grpc/grpc-js';
import {
  ClusterService,
  KVService,
  MaintenanceService,
  type AlarmRequest,
  type AlarmResponse,
  type MemberAddResponse,
  type MemberListResponse,
  type MemberPromoteResponse,
  type MemberRemoveResponse,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type SnapshotResponse,
  type StatusResponse,
  type TxnRequest,
  type TxnResponse,
} from '../../machinery/api/etcdserverpb/rpc.js';
import {closableCredentials, type ClosableCredentials} from '../../machinery/grpc-credentials.js';
import {FLOW_CONTROL_WINDOW_BYTES} from '../../machinery/grpc-channel.js';

/** PEM texts of the etcd CA and a client certificate it issued. */
export interface EtcdClientCredentials {
  ca: string;
  cert: string;
  key: string;
}

/** A call's own deadline when the caller gives none. */
export const DEFAULT_ETCD_CALL_MS = 5_000;

export interface EtcdCallOptions {
  signal?: AbortSignal;
  /** Deadline of this call in ms (DEFAULT_ETCD_CALL_MS when unset). */
  timeoutMs?: number;
  /** Sets etcd's `hasleader` metadata: the member refuses the call when it has no leader (clientv3.WithRequireLeader). */
  requireLeader?: boolean;
}

interface MethodDefinition<Request, Response> {
  path: string;
  requestSerialize: (value: Request) => Buffer;
  responseDeserialize: (value: Buffer) => Response;
}

/**
 * One channel to one etcd member (`host:port`, no scheme). grpc-js reports failures as
 * ServiceError: `code` and `details` carry etcd's own texts (e.g. `etcdserver: member not found`).
 */
export class EtcdClient {
  private readonly credentials: ClosableCredentials;
  private readonly channel: grpc.Client;

  constructor(readonly endpoint: string, tls: EtcdClientCredentials) {
    this.credentials = closableCredentials(grpc.credentials.createSsl(Buffer.from(tls.ca), Buffer.from(tls.key), Buffer.from(tls.cert)), {
      handshakeTimeoutMs: DEFAULT_ETCD_CALL_MS,
    });
    this.channel = new grpc.Client(endpoint, this.credentials.credentials, {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      // A snapshot streams 32 KiB blobs: Node's 64 KiB default window would make etcd wait for a WINDOW_UPDATE every two.
      'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
      'grpc.enable_http_proxy': 0,
      // A member that is not up yet (a control plane waiting for bootstrap) refuses connections;
      // grpc's default back-off would then keep failing calls for up to 2 minutes after it is up.
      'grpc.initial_reconnect_backoff_ms': 250,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
  }

  close(): void {
    this.channel.close();
    this.credentials.close();
  }

  range(request: Partial<RangeRequest>, options?: EtcdCallOptions): Promise<RangeResponse> {
    return this.unary(KVService.range, {key: new Uint8Array(), rangeEnd: new Uint8Array(), limit: 0n, revision: 0n, serializable: false, keysOnly: false, countOnly: false, ...request}, options);
  }

  put(key: Uint8Array, value: Uint8Array, options?: EtcdCallOptions): Promise<PutResponse> {
    return this.unary(KVService.put, {key, value, lease: 0n}, options);
  }

  txn(request: TxnRequest, options?: EtcdCallOptions): Promise<TxnResponse> {
    return this.unary(KVService.txn, request, options);
  }

  memberList(options?: EtcdCallOptions): Promise<MemberListResponse> {
    return this.unary(ClusterService.memberList, {linearizable: false}, options);
  }

  memberAdd(peerURLs: string[], isLearner: boolean, options?: EtcdCallOptions): Promise<MemberAddResponse> {
    return this.unary(ClusterService.memberAdd, {peerURLs, isLearner}, options);
  }

  memberPromote(id: bigint, options?: EtcdCallOptions): Promise<MemberPromoteResponse> {
    return this.unary(ClusterService.memberPromote, {ID: id}, options);
  }

  memberRemove(id: bigint, options?: EtcdCallOptions): Promise<MemberRemoveResponse> {
    return this.unary(ClusterService.memberRemove, {ID: id}, options);
  }

  status(options?: EtcdCallOptions): Promise<StatusResponse> {
    return this.unary(MaintenanceService.status, {}, options);
  }

  alarm(request: AlarmRequest, options?: EtcdCallOptions): Promise<AlarmResponse> {
    return this.unary(MaintenanceService.alarm, request, options);
  }

  defragment(options?: EtcdCallOptions): Promise<void> {
    return this.unary(MaintenanceService.defragment, {}, options).then(() => undefined);
  }

  moveLeader(targetID: bigint, options?: EtcdCallOptions): Promise<void> {
    return this.unary(MaintenanceService.moveLeader, {targetID}, options).then(() => undefined);
  }

  /**
   * The member's snapshot stream (32 KiB blobs, then one 32-byte sha256 blob). Not bounded by a
   * deadline — a snapshot takes as long as the database is large — only by `signal`; the caller
   * bounds stalls. Pause/resume the returned stream for backpressure.
   */
  snapshot(signal?: AbortSignal): grpc.ClientReadableStream<SnapshotResponse> {
    const definition = MaintenanceService.snapshot;
    const call = this.channel.makeServerStreamRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, {});
    if (signal !== undefined) {
      if (signal.aborted) call.cancel();
      else signal.addEventListener('abort', () => call.cancel(), {once: true});
    }
    return call;
  }

  private unary<Request, Response>(definition: MethodDefinition<Request, Response>, request: Request, options: EtcdCallOptions = {}): Promise<Response> {
    const {signal, timeoutMs = DEFAULT_ETCD_CALL_MS, requireLeader = false} = options;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        return;
      }
      const metadata = new grpc.Metadata();
      if (requireLeader) metadata.set('hasleader', 'true');
      const call = this.channel.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        metadata,
        {deadline: Date.now() + timeoutMs},
        (error, response) => {
          signal?.removeEventListener('abort', cancel);
          if (error !== null || response === undefined) reject(error ?? new Error(`${definition.path}: no response`));
          else resolve(response);
        },
      );
      const cancel = (): void => call.cancel();
      signal?.addEventListener('abort', cancel, {once: true});
    });
  }
}
