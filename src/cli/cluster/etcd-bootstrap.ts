// The end of `cluster create`, as `talosctl cluster create` does it: bootstrap etcd on the first
// control plane, then wait until etcd is healthy on every control plane (the others join it by
// themselves). Healthy: the service is Running and either its health check passed, or — not to
// wait for that check's first run, 5 s after the start (Talos's timing) — the member itself says,
// through EtcdStatus, that it is a voting member (not a learner) that knows a leader and has applied
// what it committed. Loads grpc-js (through the client): import lazily.
import {setTimeout as delay} from 'node:timers/promises';
import {status} from '@grpc/grpc-js';
import {MachineServiceService} from '../../machinery/api/machine/machine.js';
import {NodeCallError, OsClient} from '../client.js';
import {CliError} from '../errors.js';
import {APID_PORT} from '../talosconfig.js';
import type {ClusterNode} from './layout.js';

const RETRY_MS = 250;
const ATTEMPT_TIMEOUT_MS = 2000;

interface Connection {
  clusterDir: string;
  clusterName: string;
  credentials: {ca: string; crt: string; key: string};
  deadline: number;
  signal: AbortSignal;
}

/** Calls Bootstrap on `node`, retrying while the node says it is not ready yet (cri still starting). */
export async function bootstrapEtcd(node: ClusterNode, connection: Connection): Promise<void> {
  let last = '';
  for (;;) {
    connection.signal.throwIfAborted();
    if (Date.now() >= connection.deadline) throw new CliError(`bootstrapping etcd on ${node.name} (${node.address}) did not succeed in time (last: ${last})`);
    const client = await connect(node, connection);
    try {
      await client.unary(MachineServiceService.bootstrap, {recoverEtcd: false, recoverSkipHashCheck: false});
      return;
    } catch (error) {
      if (connection.signal.aborted) throw connection.signal.reason;
      if (!(error instanceof NodeCallError) || error.code !== status.FAILED_PRECONDITION) {
        throw new CliError(`error executing bootstrap on ${node.name} (${node.address}): ${error instanceof NodeCallError ? error.details : (error as Error).message}`);
      }
      last = error.details;
    } finally {
      client.close();
    }
    await delay(RETRY_MS, undefined, {signal: connection.signal});
  }
}

/** Resolves once etcd is Running and healthy on every node; a Failed etcd fails at once with its last event. */
export async function waitForEtcd(nodes: readonly ClusterNode[], connection: Connection & {onHealthy: (node: ClusterNode, count: number) => void}): Promise<void> {
  let healthy = 0;
  await Promise.all(
    nodes.map(async (node) => {
      await waitForNodeEtcd(node, connection);
      connection.onHealthy(node, ++healthy);
    }),
  );
}

async function waitForNodeEtcd(node: ClusterNode, connection: Connection): Promise<void> {
  let last = 'no answer yet';
  for (;;) {
    connection.signal.throwIfAborted();
    if (Date.now() >= connection.deadline) throw new CliError(`etcd on ${node.name} (${node.address}) was not healthy in time (last: ${last})`);
    const client = await connect(node, connection);
    try {
      const reply = await client.unary(MachineServiceService.serviceList, {});
      const etcd = reply.messages[0]?.services.find((service) => service.id === 'etcd');
      const lastEvent = etcd?.events?.events.at(-1)?.msg ?? '';
      if (etcd === undefined) last = 'no etcd service';
      else if (etcd.state === 'Failed') throw new CliError(`etcd on ${node.name} (${node.address}) failed: ${lastEvent}`);
      else if (etcd.state === 'Running' && etcd.health?.healthy === true) return;
      else if (etcd.state === 'Running' && (await votingWithLeader(client))) return;
      else last = `${etcd.state}${lastEvent === '' ? '' : `: ${lastEvent}`}`;
    } catch (error) {
      if (connection.signal.aborted) throw connection.signal.reason;
      if (!(error instanceof NodeCallError)) throw error;
      last = error.details;
    } finally {
      client.close();
    }
    await delay(RETRY_MS, undefined, {signal: connection.signal});
  }
}

/** The local member's own status: promoted, a leader known, caught up with its commits. */
async function votingWithLeader(client: OsClient): Promise<boolean> {
  try {
    const status = (await client.unary(MachineServiceService.etcdStatus, {})).messages[0]?.memberStatus;
    return status !== undefined && !status.isLearner && status.leader !== 0n && status.errors.length === 0 && status.raftAppliedIndex >= status.raftIndex;
  } catch (error) {
    if (error instanceof NodeCallError) return false;
    throw error;
  }
}

function connect(node: ClusterNode, connection: Connection): Promise<OsClient> {
  return OsClient.connect({
    configPath: connection.clusterDir,
    contextName: connection.clusterName,
    endpoints: [`${node.address}:${APID_PORT}`],
    ...connection.credentials,
    timeoutMs: Math.max(1, Math.min(connection.deadline - Date.now(), ATTEMPT_TIMEOUT_MS)),
    signal: connection.signal,
  });
}
