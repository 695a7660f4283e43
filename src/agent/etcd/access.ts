// What the etcd API methods and the node's lifecycle need from the etcd service: the machine type
// for Talos's control-plane check, clients to the local member and to the cluster, the local
// member's id, and stopping etcd with its data removed. The etcd service (etcd-service.ts)
// provides it; the methods never reach into the service itself.
import {RpcError} from '../server/rpc-error.js';
import {status} from '@grpc/grpc-js';
import type {EtcdClient} from './client.js';

export interface EtcdAccess {
  /** `controlplane`, `init`, `worker`, or undefined when the config sets none. */
  machineType(): string | undefined;
  /**
   * The client of this node's own member (Talos dials localhost:2379; osd the node's address).
   * Owned by the access: callers never close it.
   */
  localClient(): EtcdClient;
  /**
   * A client of some healthy control-plane member, for calls Talos makes "to the cluster"
   * (remove member, leave, forfeit leadership): the local member when it answers, else another
   * control plane from discovery. Owned by the access. Rejects when none answers before `signal`.
   */
  clusterClient(signal: AbortSignal): Promise<EtcdClient>;
  /** The local member id from the EtcdMembers resource; waits for it until `signal` aborts. */
  localMemberId(signal: AbortSignal): Promise<bigint>;
  /** Stops the etcd service and removes the contents of `var/lib/etcd` (not the folder itself). */
  stopAndWipe(): Promise<void>;
}

/**
 * Talos's machinehelper check every etcd RPC starts with (talos-behaviour.md (b) item 1):
 * Unimplemented `machine type is not set, cannot use <api> API` or `<api> is only available on
 * control plane nodes`.
 */
export function requireControlPlane(machineType: string | undefined, api: string): void {
  if (machineType === undefined || machineType === '' || machineType === 'unknown') {
    throw new RpcError(status.UNIMPLEMENTED, `machine type is not set, cannot use ${api} API`);
  }
  if (machineType === 'worker') throw new RpcError(status.UNIMPLEMENTED, `${api} is only available on control plane nodes`);
}
