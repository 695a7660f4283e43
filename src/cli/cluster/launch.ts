// Starting the osd agents of a local cluster and waiting until each answers over mTLS.
// Loads grpc-js (through the client): import this module lazily.
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import {MachineServiceService} from '../../machinery/api/machine/machine.js';
import {ListRequest, StateService} from '../../machinery/api/v1alpha1/state.js';
import {NodeCallError, OsClient} from '../client.js';
import {CliError} from '../errors.js';
import {APID_PORT} from '../talosconfig.js';
import {CONSOLE_LOG, ClusterNode} from './layout.js';

/** bin/osd.js of this installation (this file is dist/cli/cluster/launch.js). */
const OSD_ENTRY = fileURLToPath(new URL('../../../bin/osd.js', import.meta.url));

/** Set when a launched osd exits before the cluster is up: why, for the error message. */
export type ExitReasons = Map<string, string>;

/**
 * Starts one node's osd in its own process group (Ctrl-C in the terminal does not reach it),
 * with stdout and stderr appended to its console log, and lets this process exit without it.
 */
export function launchNode(node: Omit<ClusterNode, 'pid'>, opts: {discoveryDir: string; exits: ExitReasons}): number {
  const logFd = fs.openSync(consoleLogPath(node), 'a', 0o600);
  try {
    const child = spawn(
      process.execPath,
      [OSD_ENTRY, '--state-dir', node.stateDir, '--address', node.address, '--port', String(APID_PORT), '--discovery-dir', opts.discoveryDir],
      {detached: true, stdio: ['ignore', logFd, logFd], cwd: node.stateDir},
    );
    child.once('error', (err) => opts.exits.set(node.name, `could not start: ${err.message}`));
    child.once('exit', (code, signal) => opts.exits.set(node.name, signal ? `osd was killed by ${signal}` : `osd exited with code ${code}`));
    child.unref();
    if (child.pid === undefined) throw new CliError(`could not start osd for node ${node.name}: ${OSD_ENTRY} did not launch`);
    return child.pid;
  } finally {
    fs.closeSync(logFd);
  }
}

export function consoleLogPath(node: Pick<ClusterNode, 'stateDir'>): string {
  return path.join(node.stateDir, CONSOLE_LOG);
}

const RETRY_MS = 250;
const ATTEMPT_TIMEOUT_MS = 2000;

/**
 * Resolves once every node answers on its own address, authenticated with the admin certificate,
 * and lists every node of the cluster as a member (so `get members` right after create is
 * complete). Fails on the first node that exits or is not there yet at `deadline`.
 */
export async function waitForNodes(opts: {
  nodes: readonly ClusterNode[];
  credentials: {ca: string; crt: string; key: string};
  clusterDir: string;
  clusterName: string;
  deadline: number;
  exits: ExitReasons;
  signal: AbortSignal;
  onReady: (node: ClusterNode, readyCount: number) => void;
}): Promise<void> {
  let readyCount = 0;
  await Promise.all(
    opts.nodes.map(async (node) => {
      await waitForNode(node, opts);
      opts.onReady(node, ++readyCount);
    }),
  );
}

/** A node that did not come up; carries the node so the caller can show its console log. */
export class NodeStartError extends CliError {
  constructor(readonly node: ClusterNode, reason: string) {
    super(`node ${node.name} (${node.address}) did not come up: ${reason}`);
  }
}

async function waitForNode(node: ClusterNode, opts: Parameters<typeof waitForNodes>[0]): Promise<void> {
  let lastError = 'no answer yet';
  for (;;) {
    opts.signal.throwIfAborted();
    const exit = opts.exits.get(node.name);
    if (exit) throw new NodeStartError(node, exit);
    const remaining = opts.deadline - Date.now();
    if (remaining <= 0) throw new NodeStartError(node, `not ready on ${node.address}:${APID_PORT} in time (last: ${lastError})`);
    const client = await OsClient.connect({
      configPath: opts.clusterDir,
      contextName: opts.clusterName,
      endpoints: [`${node.address}:${APID_PORT}`],
      ...opts.credentials,
      timeoutMs: Math.min(remaining, ATTEMPT_TIMEOUT_MS),
      signal: opts.signal,
    });
    try {
      // Connected straight to the node, so no `node` metadata: the node answers for itself.
      await client.unary(MachineServiceService.version, {});
      const members = await countMembers(client);
      if (members >= opts.nodes.length) return;
      lastError = `it lists ${members} of ${opts.nodes.length} members`;
    } catch (err) {
      if (opts.signal.aborted) throw opts.signal.reason;
      lastError = err instanceof NodeCallError ? describeFailure(err.details) : (err as Error).message;
    } finally {
      client.close();
    }
    await delay(Math.min(RETRY_MS, Math.max(opts.deadline - Date.now(), 0)), undefined, {signal: opts.signal});
  }
}

async function countMembers(client: OsClient): Promise<number> {
  let count = 0;
  const request = ListRequest.fromPartial({namespace: 'cluster', type: 'Members.cluster.talos.dev'});
  for await (const response of client.serverStream(StateService.list, request, undefined, 'call')) if (response.resource) count++;
  return count;
}

/** grpc-js wraps a refused connect in a long message; the refusal is what matters while osd starts. */
function describeFailure(details: string): string {
  return /ECONNREFUSED/.test(details) ? 'connection refused' : details;
}

/** The last lines of a node's console log, for telling the user why it failed. */
export function consoleLogTail(node: Pick<ClusterNode, 'stateDir'>, lines = 20): string {
  let text: string;
  try {
    text = fs.readFileSync(consoleLogPath(node), 'utf8');
  } catch {
    return '';
  }
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
