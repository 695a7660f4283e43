// `cluster create`: plan, provision state and PKI, launch one osd per node, wait until all
// answer, then install the talosconfig context. Any failure or Ctrl-C undoes everything.
// Loads the PKI and gRPC stacks: import this module lazily.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {CliError, EXIT_FAILURE} from '../errors.js';
import type {Sink} from '../output/types.js';
import {normalizePrivateKeyPem} from '../../machinery/pem.js';
import {
  addContext, APID_PORT, readTalosconfig, removeContext, setCurrentContext, TalosContext, writeTalosconfig,
} from '../talosconfig.js';
import {consoleLogPath, consoleLogTail, ExitReasons, launchNode, NodeStartError, waitForNodes} from './launch.js';
import {
  ClusterDescription, ClusterPlan, creatingMarkerPath, DISCOVERY_DIR, listClusters, nextFreeRange, planCluster, readCluster, writeClusterFile,
} from './layout.js';
import {isListening, stopNodeProcesses} from './processes.js';
import type {RolePatches} from './patches.js';
import type {Progress} from './progress.js';
import {provisionCluster} from './provision.js';

/** A failed create has to clean up fast: the second Ctrl-C, or 2 s after the first, exits. */
const CLEANUP_GRACE_MS = 1000;

export interface CreateOptions {
  name: string;
  cidr: string;
  controlplanes: number;
  workers: number;
  /** the clusters folder, e.g. ~/.talos/clusters */
  root: string;
  talosconfigPath: string;
  waitTimeoutMs: number;
  /** machine config patches by role, applied before any node starts */
  patches?: RolePatches;
  signal: AbortSignal;
  progress: Progress;
  /** where the note about an interrupted create goes (stderr) */
  err: Sink;
  /** leave etcd unbootstrapped (control planes wait in Preparing for `osctl bootstrap`) */
  skipBootstrap?: boolean;
}

export async function createCluster(opts: CreateOptions): Promise<ClusterDescription> {
  const plan = planCluster(opts);
  const alreadyExists = () =>
    new CliError(`cluster "${plan.name}" already exists in ${plan.clusterDir}`, EXIT_FAILURE, [
      `remove it with \`osctl cluster destroy --name ${plan.name}\`, or choose another --name`,
    ]);
  if (fs.existsSync(plan.clusterDir)) throw alreadyExists();
  await refuseTakenAddresses(plan, opts.root);

  fs.mkdirSync(opts.root, {recursive: true, mode: 0o700});
  try {
    fs.mkdirSync(plan.clusterDir, {mode: 0o700});
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyExists();
    throw error;
  }
  // Lets `cluster destroy` recognise this folder as ours even if we are killed before cluster.json exists.
  fs.writeFileSync(creatingMarkerPath(plan.clusterDir), `${process.pid}\n`, {mode: 0o600});

  const description: ClusterDescription = {
    name: plan.name,
    cidr: plan.cidr,
    created: new Date().toISOString(),
    talosconfig: path.resolve(opts.talosconfigPath),
    nodes: plan.nodes.map((node) => ({...node, pid: 0})),
  };
  const {progress} = opts;
  try {
    progress.step(`generating PKI and machine configs for ${nodeCount(plan.nodes.length)}`);
    const credentials = await provisionCluster(plan, opts.patches);
    // Written before any process starts, so `cluster destroy` can always find what was started.
    writeClusterFile(plan.clusterDir, description);
    fs.rmSync(creatingMarkerPath(plan.clusterDir), {force: true});

    progress.step(`starting osd on ${plan.nodes.map((n) => n.address).join(', ')}`);
    const exits: ExitReasons = new Map();
    const discoveryDir = path.join(plan.clusterDir, DISCOVERY_DIR);
    for (const node of description.nodes) {
      opts.signal.throwIfAborted();
      node.pid = launchNode(node, {discoveryDir, exits});
      writeClusterFile(plan.clusterDir, description);
    }

    progress.step(`waiting for ${nodeCount(plan.nodes.length)} to answer`);
    await waitForNodes({
      nodes: description.nodes,
      credentials: {ca: credentials.ca.crt, crt: credentials.admin.crt, key: normalizePrivateKeyPem(credentials.admin.key)},
      clusterDir: plan.clusterDir,
      clusterName: plan.name,
      deadline: Date.now() + opts.waitTimeoutMs,
      exits,
      signal: opts.signal,
      onReady: (node, ready) => progress.update(`node ${node.name} is up (${ready}/${plan.nodes.length})`),
    });

    const controlPlanes = description.nodes.filter((node) => node.role === 'controlplane');
    if (opts.skipBootstrap !== true && controlPlanes.length > 0) {
      const {bootstrapEtcd, waitForEtcd} = await import('./etcd-bootstrap.js');
      const connection = {
        clusterDir: plan.clusterDir,
        clusterName: plan.name,
        credentials: {ca: credentials.ca.crt, crt: credentials.admin.crt, key: normalizePrivateKeyPem(credentials.admin.key)},
        deadline: Date.now() + opts.waitTimeoutMs,
        signal: opts.signal,
      };
      progress.step(`bootstrapping etcd on ${controlPlanes[0].name}`);
      await bootstrapEtcd(controlPlanes[0], connection);
      progress.step(`waiting for etcd to be healthy on ${controlPlanes.length} control plane${controlPlanes.length === 1 ? '' : 's'}`);
      await waitForEtcd(controlPlanes, {
        ...connection,
        onHealthy: (node, count) => progress.update(`etcd on ${node.name} is healthy (${count}/${controlPlanes.length})`),
      });
    }

    progress.step(`making context "${plan.name}" current in ${opts.talosconfigPath}`);
    installContext(opts.talosconfigPath, plan.name, {
      endpoints: [description.nodes[0].address],
      nodes: [description.nodes[0].address],
      ca: base64(credentials.ca.crt),
      crt: base64(credentials.admin.crt),
      key: base64(credentials.admin.key),
    });
    progress.finish(true);
    return description;
  } catch (error) {
    progress.finish(false);
    throw await undoCreate(description, plan.clusterDir, error, opts);
  }
}

/** Stops what was started and removes the state; returns the error to report. */
async function undoCreate(description: ClusterDescription, clusterDir: string, error: unknown, opts: Pick<CreateOptions, 'signal' | 'err'>): Promise<unknown> {
  // Read before the state (and with it the log) is removed.
  const failedNode = error instanceof NodeStartError ? error.node : undefined;
  const tail = failedNode ? consoleLogTail(failedNode) : '';
  await stopNodeProcesses(description.nodes, CLEANUP_GRACE_MS);
  fs.rmSync(clusterDir, {recursive: true, force: true});
  if (opts.signal.aborted) {
    opts.err.write(`interrupted: stopped the started osd processes and removed ${clusterDir}\n`);
    return error;
  }
  if (!(error instanceof Error)) return error;
  const undone = `nothing was left behind (processes stopped, ${clusterDir} removed)`;
  if (failedNode) {
    const log = tail ? `last lines of ${consoleLogPath(failedNode)}:\n${tail.replace(/^/gm, '  | ')}` : `${consoleLogPath(failedNode)} was empty`;
    return new CliError(`${error.message}\n${log}`, EXIT_FAILURE, [undone]);
  }
  return error instanceof CliError ? new CliError(error.message, error.exitCode, [...error.hints, undone]) : error;
}

/** Refuses addresses on which something already listens, naming the cluster that likely owns them. */
async function refuseTakenAddresses(plan: ClusterPlan, root: string): Promise<void> {
  const listening = await Promise.all(plan.nodes.map((node) => isListening(node.address, APID_PORT)));
  const taken = plan.nodes.filter((_, i) => listening[i]);
  if (taken.length === 0) return;
  const owners = knownAddresses(root);
  const described = taken.map((node) => {
    const owner = owners.get(node.address);
    return `${node.address}:${APID_PORT} (${owner ? `probably node ${owner.node} of cluster "${owner.cluster}"` : 'by a program that is not one of the clusters in ' + root})`;
  });
  const ownerClusters = [...new Set(taken.map((node) => owners.get(node.address)?.cluster).filter(Boolean))];
  const freeRange = nextFreeRange(plan.cidr, [...owners.keys(), ...taken.map((node) => node.address)]);
  throw new CliError(`cannot create cluster "${plan.name}": ${described.join(', ')} ${taken.length === 1 ? 'is' : 'are'} already in use`, EXIT_FAILURE, [
    `choose another range with --cidr${freeRange ? `, e.g. --cidr ${freeRange}` : ''}`,
    ...ownerClusters.map((cluster) => `or remove cluster "${cluster}" with \`osctl cluster destroy --name ${cluster}\``),
  ]);
}

/** address → the node and cluster it belongs to, over every cluster with a readable description. */
function knownAddresses(root: string): Map<string, {cluster: string; node: string}> {
  const owners = new Map<string, {cluster: string; node: string}>();
  for (const cluster of listClusters(root)) {
    try {
      for (const node of readCluster(root, cluster).nodes) owners.set(node.address, {cluster, node: node.name});
    } catch {
      // an unreadable description names no owner; the probe result stands on its own
    }
  }
  return owners;
}

/** The context is ours: its cluster's state folder did not exist, so an old one of the same name is stale. */
function installContext(configPath: string, name: string, context: TalosContext): void {
  let config = readTalosconfig(configPath);
  if (config.contexts && Object.hasOwn(config.contexts, name)) config = removeContext(config, name);
  writeTalosconfig(configPath, setCurrentContext(addContext(config, name, context), name));
}

function nodeCount(count: number): string {
  return `${count} node${count === 1 ? '' : 's'}`;
}

function base64(text: string): string {
  return Buffer.from(text).toString('base64');
}
