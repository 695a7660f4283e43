// What a local cluster is on disk: its plan (names, loopback addresses), where its state lives,
// and cluster.json. Only node builtins here: `cluster show` loads this at start-up.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {CliError, EXIT_USAGE} from '../errors.js';
import {writeFileAtomic} from '../../machinery/fs-atomic.js';
import {talosHome} from '../talosconfig.js';
import {quoteInput} from '../quote.js';

export type NodeRole = 'controlplane' | 'worker';

export interface ClusterNode {
  /** the node's hostname, also the name of its state folder */
  name: string;
  role: NodeRole;
  address: string;
  /** PID of the node's osd process; 0 until it has been started */
  pid: number;
  stateDir: string;
}

/** The content of cluster.json. */
export interface ClusterDescription {
  name: string;
  cidr: string;
  /** ISO 8601 */
  created: string;
  /** the talosconfig the cluster's context was written to, so `destroy` cleans up the same file */
  talosconfig: string;
  nodes: ClusterNode[];
}

export const DEFAULT_CLUSTER_NAME = 'osctl-default';
export const DEFAULT_CIDR = '127.20.0.0/24';
const CLUSTER_FILE = 'cluster.json';
/** Written first by `cluster create`, before anything else in the folder: proof that osctl made it. */
const CREATING_FILE = '.osctl-creating';
export const DISCOVERY_DIR = 'discovery';

/** The folders of a node's state dir, laid out like a node's filesystem. */
export const NODE_DIRS = ['etc', 'var/lib', 'var/log', 'system/state', 'system/secrets'] as const;
export const CONSOLE_LOG = 'var/log/osd.console.log';

/** First node address: .0 is the network and .1 the gateway on a real Talos cluster network. */
const FIRST_HOST_OFFSET = 2;
const MAX_HOSTNAME_LENGTH = 63;
const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** `$TALOS_HOME/clusters` when TALOS_HOME is absolute (as for the talosconfig), else `~/.talos/clusters`. */
export function clustersRoot(env: NodeJS.ProcessEnv, home: string): string {
  const base = talosHome(env, home);
  // A relative root would put clusters wherever the command happens to run.
  if (!path.isAbsolute(base)) {
    throw new CliError('cannot tell where to keep local clusters: the home directory is unknown; set HOME, or TALOS_HOME to an absolute path');
  }
  return path.join(base, 'clusters');
}

export interface ClusterPlan {
  name: string;
  /** normalized: host bits cleared */
  cidr: string;
  clusterDir: string;
  nodes: Array<Omit<ClusterNode, 'pid'>>;
}

/** A node count typed by the user (`--workers 2`). */
export function parseCount(flag: string, text: string): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new CliError(`--${flag} ${quoteInput(text)} is not a number: give a whole number such as 1`, EXIT_USAGE);
  return Number(text);
}

/**
 * The longest cluster name: node hostnames are `<name>-controlplane-<n>`, and a hostname has at most
 * 63 characters (planCluster checks the exact ones, whose ordinals may have more digits).
 */
const MAX_NAME_LENGTH = MAX_HOSTNAME_LENGTH - '-controlplane-1'.length;

/**
 * The state folder of cluster `name`: always a direct child of `root`. Every command that takes
 * --name goes through here (the one name rule), so a name like `..` or `` can never address
 * anything else, and one too long for a file name is refused as create refuses it.
 */
export function clusterDirFor(root: string, name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new CliError(
      `--name ${quoteInput(name)} is not a valid cluster name: use lowercase letters, digits and "-", starting and ending with a letter or digit (e.g. lab-1)`,
      EXIT_USAGE,
    );
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new CliError(
      `--name ${quoteInput(name)} is too long: a cluster name has at most ${MAX_NAME_LENGTH} characters, so that node hostnames (<name>-controlplane-1) fit in ${MAX_HOSTNAME_LENGTH}; choose a shorter name`,
      EXIT_USAGE,
    );
  }
  return path.join(path.resolve(root), name);
}

/** Checks the user's choices and names every node and address; touches nothing. */
export function planCluster(opts: {name: string; cidr: string; controlplanes: number; workers: number; root: string}): ClusterPlan {
  const clusterDir = clusterDirFor(opts.root, opts.name);
  if (!Number.isInteger(opts.controlplanes) || opts.controlplanes < 1) {
    throw new CliError(`--controlplanes ${opts.controlplanes}: a cluster needs at least 1 control plane node`, EXIT_USAGE);
  }
  if (!Number.isInteger(opts.workers) || opts.workers < 0) {
    throw new CliError(`--workers ${opts.workers}: the number of workers must be 0 or more`, EXIT_USAGE);
  }
  const network = parseLoopbackCidr(opts.cidr);
  const count = opts.controlplanes + opts.workers;
  // The last address of the range is left out like a broadcast address, as on a real network.
  const available = network.size - FIRST_HOST_OFFSET - 1;
  if (count > available) {
    const fittingPrefix = 32 - Math.ceil(Math.log2(count + FIRST_HOST_OFFSET + 1));
    const fittingSize = 2 ** (32 - fittingPrefix);
    throw new CliError(
      `--cidr ${opts.cidr} has room for ${Math.max(available, 0)} nodes (from .${FIRST_HOST_OFFSET} on), but ${count} were asked for; ` +
        `use a larger range such as ${formatIPv4(network.base - (network.base % fittingSize))}/${fittingPrefix}`,
      EXIT_USAGE,
    );
  }
  const roles: NodeRole[] = [...Array<NodeRole>(opts.controlplanes).fill('controlplane'), ...Array<NodeRole>(opts.workers).fill('worker')];
  const nodes = roles.map((role, index) => {
    const ordinal = role === 'controlplane' ? index + 1 : index - opts.controlplanes + 1;
    const name = `${opts.name}-${role}-${ordinal}`;
    return {name, role, address: formatIPv4(network.base + FIRST_HOST_OFFSET + index), stateDir: path.join(clusterDir, name)};
  });
  const longest = nodes.reduce((a, b) => (b.name.length > a.name.length ? b : a));
  if (longest.name.length > MAX_HOSTNAME_LENGTH) {
    throw new CliError(
      `--name "${opts.name}" is too long: node hostname "${longest.name}" would exceed ${MAX_HOSTNAME_LENGTH} characters; choose a shorter name`,
      EXIT_USAGE,
    );
  }
  return {name: opts.name, cidr: `${formatIPv4(network.base)}/${network.prefix}`, clusterDir, nodes};
}

interface IPv4Network {
  /** the network address as an unsigned 32-bit number */
  base: number;
  prefix: number;
  size: number;
}

/** An IPv4 CIDR inside 127.0.0.0/8; host bits are cleared as Go's net.ParseCIDR does. */
export function parseLoopbackCidr(cidr: string): IPv4Network {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  const octets = match?.slice(1, 5).map(Number);
  const prefix = Number(match?.[5]);
  if (!match || octets!.some((o) => o > 255) || prefix > 32) {
    throw new CliError(`--cidr "${cidr}" is not an IPv4 CIDR: write it as address/prefix, e.g. ${DEFAULT_CIDR}`, EXIT_USAGE);
  }
  if (octets![0] !== 127 || prefix < 8) {
    throw new CliError(
      `--cidr ${cidr} is not a loopback range: local clusters run on this host's loopback addresses only, so the range must lie inside 127.0.0.0/8 (e.g. ${DEFAULT_CIDR})`,
      EXIT_USAGE,
    );
  }
  const size = 2 ** (32 - prefix);
  const address = ipv4Number(octets!);
  return {base: address - (address % size), prefix, size};
}

/**
 * The first range of the same size after `cidr`, still inside 127.0.0.0/8, that holds none of
 * the `taken` addresses; undefined when there is none.
 */
export function nextFreeRange(cidr: string, taken: Iterable<string>): string | undefined {
  const network = parseLoopbackCidr(cidr);
  const takenNumbers = [...taken].map((address) => ipv4Number(address.split('.').map(Number)));
  const loopbackEnd = ipv4Number([128, 0, 0, 0]);
  for (let base = network.base + network.size; base < loopbackEnd; base += network.size) {
    if (!takenNumbers.some((n) => n >= base && n < base + network.size)) return `${formatIPv4(base)}/${network.prefix}`;
  }
  return undefined;
}

function ipv4Number(octets: number[]): number {
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The etcd CA and a client certificate it issued, for etcdctl against the control planes' members. */
export function etcdClientFiles(clusterDir: string): {ca: string; cert: string; key: string} {
  const dir = path.join(clusterDir, 'etcd');
  return {ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'client.crt'), key: path.join(dir, 'client.key')};
}

export function clusterFilePath(clusterDir: string): string {
  return path.join(clusterDir, CLUSTER_FILE);
}

export function creatingMarkerPath(clusterDir: string): string {
  return path.join(clusterDir, CREATING_FILE);
}

/** Writes cluster.json atomically, so readers never see half a file. */
export function writeClusterFile(clusterDir: string, description: ClusterDescription): void {
  writeFileAtomic(clusterFilePath(clusterDir), `${JSON.stringify(description, null, 2)}\n`);
}

/** The names of the clusters under `root` (folders holding a cluster.json), sorted. */
export function listClusters(root: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, {withFileTypes: true});
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isDirectory() && fs.existsSync(clusterFilePath(path.join(root, entry.name))))
    .map((entry) => entry.name)
    .sort();
}

/** Reads a cluster's description; an unknown name is an error that lists the clusters there are. */
export function readCluster(root: string, name: string): ClusterDescription {
  const file = clusterFilePath(clusterDirFor(root, name));
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
    const existing = listClusters(root);
    throw new CliError(
      `cluster "${name}" not found in ${root}; ` +
        (existing.length > 0 ? `existing clusters: ${existing.join(', ')} (pick one with --name)` : 'there are no clusters yet: create one with `osctl cluster create`'),
    );
  }
  try {
    return checkDescription(JSON.parse(text));
  } catch (error) {
    throw new CliError(
      `${file} is not a valid cluster description (${(error as Error).message}); stop its osd processes by hand and remove ${path.dirname(file)}`,
    );
  }
}

function checkDescription(value: unknown): ClusterDescription {
  const d = value as Partial<ClusterDescription> | null;
  if (typeof d !== 'object' || d === null || typeof d.name !== 'string' || !Array.isArray(d.nodes)) {
    throw new Error('expected an object with "name" and "nodes"');
  }
  d.nodes.forEach((node, index) => {
    const n = node as Partial<ClusterNode> | null;
    if (typeof n?.name !== 'string' || typeof n.address !== 'string' || typeof n.pid !== 'number' || typeof n.stateDir !== 'string') {
      throw new Error(`nodes[${index}] needs name, address, pid and stateDir`);
    }
  });
  return {cidr: '', created: '', talosconfig: '', ...d} as ClusterDescription;
}
