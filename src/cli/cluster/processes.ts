// The osd processes of a local cluster: telling ours from a reused PID, stopping them, and
// probing whether an address is taken. Only node builtins: `cluster show` loads this at start-up.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import type {ClusterNode} from './layout.js';

export type NodeState = 'running' | 'stopped';

const OSD_ENTRY = 'osd.js';
const POLL_MS = 100;
/** how long after SIGKILL we wait for a process to be gone before giving up on it */
const KILL_WAIT_MS = 2000;
/** how long osd gets to exit after a second SIGTERM (it exits at once, ending its process groups) */
const FORCED_EXIT_WAIT_MS = 1000;

/**
 * Whether `pid` is, right now, the osd serving `stateDir`: its command line (from /proc) runs
 * osd.js with that state dir. A PID the kernel reused for something else, or a zombie (empty
 * command line), is not.
 */
export function isNodeProcess(pid: number, stateDir: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false;
  }
  const args = cmdline.split('\0');
  const flag = args.indexOf('--state-dir');
  return flag >= 0 && args[flag + 1] === stateDir && args.some((arg) => path.basename(arg) === OSD_ENTRY);
}

export function nodeState(node: Pick<ClusterNode, 'pid' | 'stateDir'>): NodeState {
  return isNodeProcess(node.pid, node.stateDir) ? 'running' : 'stopped';
}

export interface StopOutcome {
  node: string;
  pid: number;
  /** `not running`: the PID was already gone or belongs to another program now, so it was left alone */
  outcome: 'terminated' | 'killed' | 'not running' | 'still running';
}

/**
 * Stops the nodes' osd processes: SIGTERM, up to `graceMs` to exit, then a second SIGTERM, then
 * SIGKILL. osd takes the second SIGTERM as "exit now" and its exit hooks SIGKILL the service and
 * container process groups it still runs (a process ignoring SIGTERM gets 10 s inside osd, longer
 * than `graceMs`); should osd still need a SIGKILL, or be gone already, the groups it recorded are
 * ended here. Before every
 * signal the PID is checked to still be that node's osd, so a reused PID is never signalled.
 */
export async function stopNodeProcesses(nodes: readonly ClusterNode[], graceMs: number): Promise<StopOutcome[]> {
  const outcomes = new Map<ClusterNode, StopOutcome['outcome']>();
  for (const node of nodes) outcomes.set(node, signal(node, 'SIGTERM') ? 'terminated' : 'not running');
  const signalled = nodes.filter((node) => outcomes.get(node) === 'terminated');
  const alive = () => signalled.filter((node) => isNodeProcess(node.pid, node.stateDir));
  await waitUntil(() => alive().length === 0, graceMs);
  // A second SIGTERM makes osd exit at once (its exit hook kills its groups); SIGKILL if even that fails.
  const forced = alive().filter((node) => signal(node, 'SIGTERM'));
  for (const node of forced) outcomes.set(node, 'killed');
  await waitUntil(() => alive().length === 0, FORCED_EXIT_WAIT_MS);
  for (const node of alive()) if (signal(node, 'SIGKILL')) outcomes.set(node, 'killed');
  await waitUntil(() => alive().length === 0, KILL_WAIT_MS);
  for (const node of alive()) outcomes.set(node, 'still running');
  // An osd that had to be forced out, or was already gone (killed before destroy), may not have
  // stopped its services (etcd among them) and pods: end the process groups it recorded (a no-op
  // when its exit hook did; a group whose leader is another program now is left alone).
  const unclean = nodes.filter((node) => outcomes.get(node) === 'killed' || outcomes.get(node) === 'not running');
  if (unclean.length > 0) {
    const {endRecordedGroups} = await import('../../machinery/process-groups.js');
    for (const node of unclean) await endRecordedGroups(node.stateDir).catch(() => []);
  }
  return nodes.map((node) => ({node: node.name, pid: node.pid, outcome: outcomes.get(node)!}));
}

function signal(node: ClusterNode, name: NodeJS.Signals): boolean {
  if (!isNodeProcess(node.pid, node.stateDir)) return false;
  try {
    process.kill(node.pid, name);
    return true;
  } catch {
    return false; // exited in between
  }
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await delay(POLL_MS);
}

/** Whether something accepts TCP connections on address:port (a refused or timed-out connect means no). */
export function isListening(address: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({host: address, port});
    const finish = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
