// The etcd maintenance methods (EtcdMemberList, EtcdStatus, EtcdLeaveCluster,
// EtcdRemoveMemberByID, EtcdForfeitLeadership, EtcdAlarmList/Disarm, EtcdDefragment, EtcdSnapshot)
// with Talos's semantics and texts (talos-behaviour.md (b) items 1–8), through EtcdAccess.
import type {EtcdAccess} from '../etcd/access.js';
import type {LocalMethod} from './methods.js';

export function etcdMethods(_etcd: EtcdAccess): Array<[string, LocalMethod]> {
  return [];
}
