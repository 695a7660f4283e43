// etcd.MemberController: the EtcdMembers resource (id `local`) holds the local member id while
// the etcd service is Running and healthy, and exists at no other time (talos-resources.md).
import {BinaryWriter} from '@bufbuild/protobuf/wire';
import {toGoYaml} from '../../machinery/yaml-emit.js';
import type {ResourceTypeDefinition} from '../store/resource.js';
import type {ResourceStore} from '../store/store.js';
import type {Supervisor} from '../system/supervisor.js';
import type {EtcdClient} from './client.js';
import {setTimeout as sleep} from 'node:timers/promises';

export const ETCD_MEMBER_TYPE = 'EtcdMembers.etcd.talos.dev';
const OWNER = 'etcd.MemberController';
const POINTER = {namespace: 'etcd', type: ETCD_MEMBER_TYPE, id: 'local'};
/** How often localMemberIdFromStore looks again. */
const POLL_MS = 200;

export interface EtcdMemberSpec {
  /** `%016x` */
  memberID: string;
}

export const etcdMemberType: ResourceTypeDefinition<EtcdMemberSpec> = {
  type: ETCD_MEMBER_TYPE,
  defaultNamespace: 'etcd',
  printColumns: [{name: 'Member ID', jsonPath: '{.memberID}'}],
  yamlSpec: ({memberID}) => toGoYaml({memberID}),
  // etcd.MemberSpec: member_id = 1 (string).
  protoSpec: ({memberID}) => new BinaryWriter().uint32(10).string(memberID).finish(),
};

/** Keeps EtcdMembers in step with the etcd service's state and health; returns the stop function. */
export function publishEtcdMember(store: ResourceStore, supervisor: Supervisor, localClient: () => EtcdClient): () => void {
  // Each change supersedes an answer still on its way.
  let generation = 0;
  const destroy = (): void => {
    if (store.get(POINTER) !== undefined) store.destroy(POINTER, OWNER);
  };
  const unsubscribe = supervisor.onChange((change) => {
    if (change.id !== 'etcd') return;
    const current = ++generation;
    if (change.state !== 'Running' || !change.health.healthy) {
      destroy();
      return;
    }
    void (async () => {
      try {
        const status = await localClient().status({timeoutMs: 5000});
        const id = status.header?.memberId;
        if (current !== generation || id === undefined) return;
        store.put<EtcdMemberSpec>({type: ETCD_MEMBER_TYPE, namespace: 'etcd', id: 'local', owner: OWNER, spec: {memberID: id.toString(16).padStart(16, '0')}});
      } catch {
        // The next health flip tries again.
      }
    })();
  });
  return () => {
    unsubscribe();
    generation++;
    destroy();
  };
}

/** The local member id from EtcdMembers; waits for it until `signal` aborts. */
export async function localMemberIdFromStore(store: ResourceStore, signal: AbortSignal): Promise<bigint> {
  for (;;) {
    const resource = store.get<EtcdMemberSpec>(POINTER);
    if (resource !== undefined) return BigInt(`0x${resource.spec.memberID}`);
    if (signal.aborted) throw new Error('etcd member ID is not known: the etcd service is not running and healthy');
    // Ends early on abort; the loop then reports it.
    await sleep(POLL_MS, undefined, {signal}).catch(() => undefined);
  }
}
