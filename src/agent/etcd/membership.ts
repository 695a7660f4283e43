// Leaving the etcd cluster as Talos's LeaveCluster does (talos-behaviour.md (b) item 4): shared
// by the EtcdLeaveCluster method and a graceful Reset. Also the texts both report etcd's answers with.
import type {EtcdAccess} from './access.js';
import type {EtcdClient} from './client.js';

/** How long leaving waits for each step (Talos's values; tests shorten them). */
export interface LeaveTimings {
  /** How long to wait for the local member id (EtcdMembers resource): Talos's 3 min. */
  memberIdWaitMs: number;
  /** How long to keep retrying the removal while etcd is unhealthy: Talos's 5 min. */
  removeRetryForMs: number;
  /** Between two removal attempts: Talos's 10 s. */
  removeRetryEveryMs: number;
}

export const DEFAULT_LEAVE_TIMINGS: Readonly<LeaveTimings> = {memberIdWaitMs: 180_000, removeRetryForMs: 300_000, removeRetryEveryMs: 10_000};

/** etcd's texts (rpctypes) this module acts on. */
export const ETCD_MEMBER_NOT_FOUND = 'etcdserver: member not found';
const ETCD_UNHEALTHY = 'etcdserver: unhealthy cluster';
const ETCD_STOPPED = 'etcdserver: server stopped';

/** gRPC's UNAVAILABLE: the member did not answer at all (stopped, restarting, unreachable). */
const UNAVAILABLE = 14;

/**
 * An etcd failure as Go's clientv3 prints it: etcd's own text (`etcdserver: …`) for an answer,
 * the transport's reason otherwise; never grpc-js's `14 UNAVAILABLE: ` prefix.
 */
export function etcdErrorText(error: unknown): string {
  const candidate = error as {details?: unknown; message?: unknown};
  if (typeof candidate?.details === 'string' && candidate.details !== '') return candidate.details;
  if (typeof candidate?.message === 'string') return candidate.message;
  return String(error);
}

/** A failure that already carries its final text (the methods report it as it is). */
export class EtcdOperationError extends Error {}

/**
 * Removes the local member (retrying while etcd is unhealthy, stopped or unreachable), stops etcd
 * and empties var/lib/etcd. A member already gone counts as removed. Errors read as Talos's:
 * `failed to create etcd client: …` or `failed to leave cluster: …`. `signal` ends it early.
 */
export async function leaveCluster(etcd: EtcdAccess, signal: AbortSignal, timings: Readonly<LeaveTimings> = DEFAULT_LEAVE_TIMINGS): Promise<void> {
  let client: EtcdClient;
  try {
    client = await etcd.clusterClient(signal);
  } catch (error) {
    throw new EtcdOperationError(`failed to create etcd client: ${etcdErrorText(error)}`);
  }
  const memberId = await localMemberId(etcd, signal, timings.memberIdWaitMs).catch((error: unknown) => {
    throw new EtcdOperationError(`failed to leave cluster: ${(error as Error).message}`);
  });
  const deadline = Date.now() + timings.removeRetryForMs;
  for (;;) {
    try {
      await client.memberRemove(memberId, {signal, requireLeader: true});
      break;
    } catch (error) {
      const text = etcdErrorText(error);
      if (text === ETCD_MEMBER_NOT_FOUND) break;
      const retryable = text === ETCD_UNHEALTHY || text === ETCD_STOPPED || (error as {code?: unknown}).code === UNAVAILABLE;
      if (signal.aborted || !retryable || Date.now() + timings.removeRetryEveryMs > deadline) {
        throw new EtcdOperationError(`failed to leave cluster: failed to remove member ${memberId}: ${text}`);
      }
    }
    await sleep(timings.removeRetryEveryMs, signal);
    // The member that answered may be the one that stopped: ask the cluster again.
    client = await etcd.clusterClient(signal).catch(() => client);
  }
  try {
    await etcd.stopAndWipe();
  } catch (error) {
    throw new EtcdOperationError(`failed to leave cluster: ${(error as Error).message}`);
  }
}

/** Talos's GetLocalMemberID: the EtcdMembers resource's id, waited for up to `waitMs`. */
export async function localMemberId(etcd: EtcdAccess, signal: AbortSignal, waitMs = DEFAULT_LEAVE_TIMINGS.memberIdWaitMs): Promise<bigint> {
  // A timer of our own (AbortSignal.timeout's does not keep the process alive while it waits).
  const expired = new AbortController();
  const timer = setTimeout(() => expired.abort(), waitMs);
  const bounded = AbortSignal.any([signal, expired.signal]);
  try {
    return await etcd.localMemberId(bounded);
  } catch (error) {
    const reason = signal.aborted ? 'context canceled' : expired.signal.aborted ? 'context deadline exceeded' : etcdErrorText(error);
    throw new EtcdOperationError(`failed to get local etcd member ID: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new EtcdOperationError('failed to leave cluster: context canceled'));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = (): void => {
      clearTimeout(timer);
      reject(new EtcdOperationError('failed to leave cluster: context canceled'));
    };
    signal.addEventListener('abort', stop, {once: true});
  });
}
