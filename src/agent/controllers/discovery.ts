// File-based cluster discovery, osd's stand-in for Talos's discovery service: each node of a local
// cluster writes its affiliate to <dir>/<nodeId>.yaml and watches the directory for the others.
// cluster.MemberController then keeps one Members.cluster.talos.dev resource per affiliate (id =
// nodename). The local affiliate is always a member, with or without a discovery directory.
import {watch, type FSWatcher} from 'node:fs';
import {readdir, readFile, rm, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {toGoYaml} from '../../machinery/yaml-emit.js';
import {loadYaml} from '../../machinery/yaml.js';
import {writeFileAtomicAsync as writeFileAtomic} from '../../machinery/fs-atomic.js';
import type {Logger} from '../log.js';
import type {ResourceStore} from '../store/store.js';
import {MEMBER_TYPE, type MachineTypeName, type MemberSpec} from './resource-types.js';

export interface Affiliate {
  nodeId: string;
  /** The Kubernetes node name: the Member id. */
  nodename: string;
  /** FQDN */
  hostname: string;
  addresses: string[];
  machineType: MachineTypeName;
  operatingSystem: string;
  controlPlane?: {port: number};
}

const MEMBER_OWNER = 'cluster.MemberController';
const AFFILIATE_FILE = /^([0-9A-Za-z]+)\.yaml$/;
const MACHINE_TYPES: readonly string[] = ['controlplane', 'worker', 'init', 'unknown'];
/** fs.watch can miss events (network filesystems, overflow): rescan this often anyway. */
const DEFAULT_POLL_INTERVAL_MS = 5000;
const WATCH_DEBOUNCE_MS = 50;

/** Makes the Members match the affiliates: one per nodename, stale ones removed. */
export function syncMembers(store: ResourceStore, affiliates: Affiliate[]): void {
  const ids = new Set<string>();
  for (const affiliate of affiliates) {
    ids.add(affiliate.nodename);
    const spec: MemberSpec = {
      nodeId: affiliate.nodeId,
      addresses: [...affiliate.addresses],
      hostname: affiliate.hostname,
      machineType: affiliate.machineType,
      operatingSystem: affiliate.operatingSystem,
    };
    if (affiliate.controlPlane !== undefined) spec.controlPlane = {port: affiliate.controlPlane.port};
    store.put<MemberSpec>({type: MEMBER_TYPE, id: affiliate.nodename, owner: MEMBER_OWNER, spec});
  }
  for (const member of store.list('cluster', MEMBER_TYPE)) {
    if (!ids.has(member.metadata.id)) store.destroy(member.metadata, MEMBER_OWNER);
  }
}

/** Validates one affiliate file's content; returns the problem as text when it is not an affiliate. */
export function parseAffiliate(text: string): Affiliate | string {
  let value: unknown;
  try {
    value = loadYaml(text);
  } catch (error) {
    return `not YAML: ${(error as Error).message}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a YAML mapping';
  const record = value as Record<string, unknown>;
  for (const key of ['nodeId', 'nodename', 'hostname', 'operatingSystem'] as const) {
    if (typeof record[key] !== 'string' || record[key] === '') return `"${key}" must be a non-empty string`;
  }
  if (!Array.isArray(record.addresses) || !record.addresses.every((address) => typeof address === 'string')) {
    return '"addresses" must be a list of strings';
  }
  if (typeof record.machineType !== 'string' || !MACHINE_TYPES.includes(record.machineType)) {
    return `"machineType" must be one of ${MACHINE_TYPES.join(', ')}`;
  }
  const affiliate: Affiliate = {
    nodeId: record.nodeId as string,
    nodename: record.nodename as string,
    hostname: record.hostname as string,
    addresses: record.addresses as string[],
    machineType: record.machineType as MachineTypeName,
    operatingSystem: record.operatingSystem as string,
  };
  if (record.controlPlane !== undefined && record.controlPlane !== null) {
    const port = (record.controlPlane as {port?: unknown}).port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      return '"controlPlane.port" must be a port number';
    }
    affiliate.controlPlane = {port};
  }
  return affiliate;
}

export class ClusterDiscovery {
  private watcher?: FSWatcher;
  private pollTimer?: NodeJS.Timeout;
  private debounceTimer?: NodeJS.Timeout;
  private scanning?: Promise<void>;
  private rescanRequested = false;
  private stopped = false;
  /** The last complaint per file, so a broken file is reported once, not on every scan. */
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly store: ResourceStore,
    private readonly local: Affiliate,
    private readonly options: {dir?: string; log: Logger; pollIntervalMs?: number},
  ) {}

  async start(): Promise<void> {
    const {dir} = this.options;
    if (dir === undefined) {
      syncMembers(this.store, [this.local]);
      return;
    }
    await this.publishLocal(dir);
    await this.scan();
    this.watcher = watch(dir, () => this.requestScan());
    this.watcher.on('error', (error) => this.options.log.warn(`discovery: watching ${dir} failed: ${error.message}`));
    this.pollTimer = setInterval(() => this.requestScan(), this.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    this.pollTimer.unref();
  }

  /** Stops watching and withdraws this node's affiliate file. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearInterval(this.pollTimer);
    clearTimeout(this.debounceTimer);
    await this.scanning;
    if (this.options.dir !== undefined) await rm(this.localFile(this.options.dir), {force: true});
  }

  private localFile(dir: string): string {
    return join(dir, `${this.local.nodeId}.yaml`);
  }

  private async publishLocal(dir: string): Promise<void> {
    // Atomic: readers never see a half-written affiliate; the temp name doesn't match AFFILIATE_FILE.
    await writeFileAtomic(this.localFile(dir), toGoYaml(this.local), 0o644);
  }

  private requestScan(): void {
    if (this.stopped) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => void this.scan(), WATCH_DEBOUNCE_MS);
  }

  /** One scan at a time; a request during a scan runs one more afterwards. */
  private scan(): Promise<void> {
    if (this.scanning !== undefined) {
      this.rescanRequested = true;
      return this.scanning;
    }
    this.scanning = this.scanOnce()
      .catch((error: Error) => this.options.log.warn(`discovery: scanning ${this.options.dir} failed: ${error.message}`))
      .finally(() => {
        this.scanning = undefined;
        if (this.rescanRequested && !this.stopped) {
          this.rescanRequested = false;
          void this.scan();
        }
      });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    const dir = this.options.dir as string;
    const found: Array<{affiliate: Affiliate; modified: number}> = [];
    for (const name of await readdir(dir)) {
      const match = AFFILIATE_FILE.exec(name);
      if (match === null || match[1] === this.local.nodeId) continue;
      const entry = await this.readAffiliate(join(dir, name), match[1]);
      if (entry !== undefined) found.push(entry);
    }
    if (this.stopped) return;

    // One member per nodename: the local node first, then the most recently written affiliate
    // (a node re-created with a fresh state dir gets a new node id but keeps its name).
    found.sort((a, b) => b.modified - a.modified);
    const byNodename = new Map<string, Affiliate>([[this.local.nodename, this.local]]);
    for (const {affiliate} of found) {
      const taken = byNodename.get(affiliate.nodename);
      if (taken === undefined) byNodename.set(affiliate.nodename, affiliate);
      else this.reportOnce(affiliate.nodeId, `discovery: node ${affiliate.nodeId} has the same name "${affiliate.nodename}" as node ${taken.nodeId}; ignoring it`);
    }
    syncMembers(this.store, [...byNodename.values()]);
  }

  private async readAffiliate(file: string, nodeId: string): Promise<{affiliate: Affiliate; modified: number} | undefined> {
    let text: string;
    let modified: number;
    try {
      [text, modified] = await Promise.all([readFile(file, 'utf8'), stat(file).then((s) => s.mtimeMs)]);
    } catch (error) {
      // Removed between readdir and read: the node left.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const parsed = parseAffiliate(text);
    if (typeof parsed === 'string') {
      this.reportOnce(file, `discovery: ignoring ${file}: ${parsed}`);
      return undefined;
    }
    if (parsed.nodeId !== nodeId) {
      this.reportOnce(file, `discovery: ignoring ${file}: its nodeId "${parsed.nodeId}" does not match the file name`);
      return undefined;
    }
    this.reported.delete(file);
    return {affiliate: parsed, modified};
  }

  private reportOnce(key: string, message: string): void {
    if (this.reported.get(key) === message) return;
    this.reported.set(key, message);
    this.options.log.warn(message);
  }
}
