// Leaving the etcd cluster as Talos's LeaveCluster does (talos-behaviour.md (b) item 4): shared
// by the EtcdLeaveCluster method and a graceful Reset.
import type {EtcdAccess} from './access.js';

/** Removes the local member (retrying while etcd is unhealthy), stops etcd and empties var/lib/etcd. */
export async function leaveCluster(_etcd: EtcdAccess, _signal: AbortSignal): Promise<void> {
  throw new Error('failed to leave cluster: not implemented yet');
}
