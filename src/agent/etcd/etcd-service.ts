// The `etcd` service of a control-plane node (Talos's services/etcd.go, talos-behaviour.md (b)
// items 13–16, 21): the real etcd 3.4 binary as a supervised process with TLS on the node's own
// address. Its pre state decides how the member starts:
// - data in var/lib/etcd: as it is;
// - Bootstrap asked for: a new single-member cluster, restored first from an uploaded snapshot
//   when recovering;
// - otherwise it waits until a member on another control plane answers, joins it as a learner
//   (removing a stale member of the same name or peer URL first) and is promoted once in sync.
// The same object is the EtcdAccess the API methods use.
import {accessSync, constants, readFileSync} from 'node:fs';
import {chmod, readdir, rm} from 'node:fs/promises';
import {delimiter, join, relative} from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {machineType} from '../../machinery/machineconfig/accessors.js';
import type {MachineConfigDocument} from '../../machinery/machineconfig/types.js';
import type {ProcessGroupRecords} from '../../machinery/process-groups.js';
import {MEMBER_TYPE, type MemberSpec} from '../controllers/resource-types.js';
import type {Logger} from '../log.js';
import type {LogWriter} from '../logs/service-logs.js';
import type {ResourceStore} from '../store/store.js';
import {makeRealDirectoryInside, realDirectoryInside} from '../node-dirs.js';
import {ProcessRunner} from '../system/process-runner.js';
import type {Runner, RunnerReporter, ServiceDefinition} from '../system/service.js';
import type {Supervisor} from '../system/supervisor.js';
import {status} from '@grpc/grpc-js';
import type {EtcdAccess} from './access.js';
import {RpcError} from '../server/rpc-error.js';
import type {BootstrapAccess} from '../server/bootstrap-methods.js';
import type {Member} from '../../machinery/api/etcdserverpb/rpc.js';
import {EtcdClient, type EtcdClientCredentials} from './client.js';
import {localMemberIdFromStore} from './members.js';
import {etcdPaths, etcdUrls, type EtcdPaths} from './paths.js';
import {etcdCA, issueNodeCertificates} from './pki.js';
import {restoreFromSnapshot} from './recover.js';

export const ETCD_SERVICE_ID = 'etcd';
/** Talos's etcd health settings (services/etcd.go HealthSettings). */
export const ETCD_HEALTH = {initialDelayMs: 5000, periodMs: 20_000, timeoutMs: 15_000};
/** How often a member waiting to join looks for a healthy member again (Talos: 3 s ± 1 s; faster locally). */
const JOIN_RETRY_MS = 1000;
/**
 * How soon a member that answered with a leader is asked again after it refused the add for a
 * while only: etcd 3.4 allows one learner at a time, and its strict reconfig check refuses any add
 * until the leader has been connected to every voting member for 5 s.
 */
const JOIN_REFUSED_RETRY_MS = 200;
/** How often a learner asks to be promoted until it is in sync. */
const PROMOTE_RETRY_MS = 500;
/** One call of a join attempt against one control plane (Talos: 30 s for the attempt). */
const JOIN_ATTEMPT_MS = 3000;

export interface EtcdServiceOptions {
  /** The node's state folder. */
  root: string;
  address: string;
  hostname: string;
  config: () => MachineConfigDocument;
  store: ResourceStore;
  supervisor: Supervisor;
  /** The `etcd` service log (etcd's own output, and the service's notes). */
  serviceLog: LogWriter;
  log: Logger;
  groups?: ProcessGroupRecords;
  env?: NodeJS.ProcessEnv;
}

interface BootstrapRequest {
  recover: boolean;
  skipHashCheck: boolean;
}

export class EtcdService implements EtcdAccess, BootstrapAccess {
  readonly paths: EtcdPaths;
  private readonly urls: {client: string; peer: string; endpoint: string};
  private credentials?: EtcdClientCredentials;
  private readonly clients = new Map<string, EtcdClient>();
  private bootstrapRequest?: BootstrapRequest;
  /** The etcd arguments the pre state chose (reused by restarts of the same run). */
  private args: string[] = [];
  /** A learner added by this node that still has to be promoted, and where it was added. */
  private promotion?: {id: bigint; endpoint: string};
  /** The certificate issuance in progress, if any (see issueCertificates). */
  private issuing: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EtcdServiceOptions) {
    this.paths = etcdPaths(options.root);
    this.urls = etcdUrls(options.address);
  }

  // ---- the service ----

  definition(): ServiceDefinition {
    return {
      id: ETCD_SERVICE_ID,
      dependsOn: ['cri'],
      restart: 'forever',
      // Talos's etcd implements none of the API start/stop/restart interfaces.
      api: {start: false, stop: false, restart: false},
      image: '',
      pre: (signal, report) => this.pre(signal, report),
      createRunner: () => this.createRunner(),
      health: {settings: ETCD_HEALTH, check: (signal) => this.checkQuorum(signal)},
    };
  }

  /**
   * Talos's BootstrapEtcd once the RPC's checks passed: stop the service, check the data dir
   * again, start it with Bootstrap set. Resolves once the start is issued.
   */
  async bootstrap(request: BootstrapRequest): Promise<void> {
    await this.options.supervisor.stop(ETCD_SERVICE_ID);
    this.options.supervisor.recordStopped(ETCD_SERVICE_ID, 'Finished', 'Bootstrap requested');
    if (!(await isDirEmpty(this.paths.dataDir))) throw new Error('etcd data directory is not empty');
    this.bootstrapRequest = request;
    this.options.supervisor.start(ETCD_SERVICE_ID);
  }

  async criReady(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      const cri = this.options.supervisor.get('cri');
      // Running and healthy; osd's in-process cri has no health check, so Running is enough there.
      if (cri?.state === 'Running' && (cri.health.healthy || cri.health.lastChange === undefined)) return true;
      if (Date.now() >= deadline) return false;
      await delay(50);
    }
  }

  hasEtcdCA(): boolean {
    return etcdCA(this.options.config()) !== undefined;
  }

  dataDirEmpty(): Promise<boolean> {
    return isDirEmpty(this.paths.dataDir);
  }

  /** Closes the clients (the node stops). */
  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private async pre(signal: AbortSignal, report: (message: string) => void): Promise<void> {
    // Taken at once: a stopped run's pre state may still be finishing (the supervisor stops
    // waiting for it), and it must neither take the request nor set the arguments.
    const request = this.bootstrapRequest;
    this.bootstrapRequest = undefined;
    const args = await this.prepare(request, signal, report);
    signal.throwIfAborted();
    this.args = args;
  }

  /** The etcd command line for this run, after whatever has to happen first (restore, join). */
  private async prepare(request: BootstrapRequest | undefined, signal: AbortSignal, report: (message: string) => void): Promise<string[]> {
    const binary = findExecutable('etcd', this.env.OSD_ETCD_BINARY, this.env.PATH);
    if (binary === undefined) {
      throw new Error(
        `etcd binary not found (${this.env.OSD_ETCD_BINARY !== undefined ? `OSD_ETCD_BINARY=${this.env.OSD_ETCD_BINARY} is not executable` : 'no etcd on PATH'}): install Debian's etcd-server package or set OSD_ETCD_BINARY`,
      );
    }
    // etcd writes there and a wipe empties it: never through a link to outside the node.
    await chmod(await makeRealDirectoryInside(this.paths.root, relative(this.paths.root, this.paths.dataDir), 0o700), 0o700);
    const ca = etcdCA(this.options.config());
    if (ca === undefined) throw new Error('etcd is not configured: the machine config has no cluster.etcd.ca');
    try {
      this.credentials = (await this.issueCertificates(ca)).client;
    } catch (error) {
      throw new Error(`failed to generate etcd PKI: ${(error as Error).message}`);
    }
    signal.throwIfAborted();

    this.promotion = undefined;
    const {hostname} = this.options;
    const base = this.baseArgs(binary);
    // An `init` node starts a new cluster on its own when it has no data (Talos's argsForInit).
    const bootstrapping = request !== undefined || this.machineType() === 'init';
    if (bootstrapping && (await isDirEmpty(this.paths.dataDir))) {
      // Talos honours the recover flag only on `controlplane` (the init path never reads it).
      if (request?.recover === true && this.machineType() === 'controlplane') {
        report('Recovering etcd from the uploaded snapshot');
        await restoreFromSnapshot({
          snapshot: this.paths.snapshot,
          dataDir: this.paths.dataDir,
          name: hostname,
          peerUrl: this.urls.peer,
          skipHashCheck: request.skipHashCheck,
          etcdctl: findExecutable('etcdctl', this.env.OSD_ETCDCTL_BINARY, this.env.PATH),
          log: (line) => this.note(line),
          signal,
        });
      }
      report('Bootstrapping a new etcd cluster');
      return [...base, '--initial-cluster', `${hostname}=${this.urls.peer}`, '--initial-cluster-state', 'new', '--initial-advertise-peer-urls', this.urls.peer];
    }
    if (!(await isDirEmpty(this.paths.dataDir))) return base;
    return [...base, ...(await this.join(signal, report)), '--initial-advertise-peer-urls', this.urls.peer];
  }

  /**
   * One issuance at a time: a stopped run's pre state may still be writing the files when the next
   * run's starts (Bootstrap right after the start), and interleaved writes would pair one run's
   * peer.crt with the other's peer.key, or race on the same temporary file.
   */
  private issueCertificates(ca: NonNullable<ReturnType<typeof etcdCA>>): ReturnType<typeof issueNodeCertificates> {
    const issued = this.issuing.then(() => issueNodeCertificates(ca, {address: this.options.address, hostname: this.options.hostname}, this.paths));
    this.issuing = issued.catch(() => undefined);
    return issued;
  }

  private baseArgs(binary: string): string[] {
    const {paths, urls} = this;
    return [
      binary,
      '--name', this.options.hostname,
      '--data-dir', paths.dataDir,
      '--listen-peer-urls', urls.peer,
      '--listen-client-urls', urls.client,
      '--advertise-client-urls', urls.client,
      '--client-cert-auth=true',
      '--cert-file', paths.peerCert,
      '--key-file', paths.peerKey,
      '--trusted-ca-file', paths.ca,
      '--peer-client-cert-auth=true',
      '--peer-cert-file', paths.peerCert,
      '--peer-key-file', paths.peerKey,
      '--peer-trusted-ca-file', paths.ca,
      '--auto-tls=false',
      '--peer-auto-tls=false',
      '--experimental-initial-corrupt-check=true',
      '--experimental-watch-progress-notify-interval=5s',
      '--logger', 'zap',
      '--log-outputs', 'stderr',
    ];
  }

  /** Waits for a member on another control plane, joins as a learner; the arguments for `existing`. */
  private async join(signal: AbortSignal, report: (message: string) => void): Promise<string[]> {
    let asked = false;
    const lastProblems = new Map<string, string>();
    for (;;) {
      signal.throwIfAborted();
      const peers = this.otherControlPlanes();
      // Every control plane at once: the first that has a leader takes the learner; the member
      // list it answers is only read after the others were asked, so two adds never race here.
      const lists = await Promise.all(
        peers.map(async (address) => {
          try {
            return {address, list: await this.client(etcdUrls(address).endpoint).memberList({signal, timeoutMs: JOIN_ATTEMPT_MS, requireLeader: true})};
          } catch (error) {
            if (!signal.aborted) this.noteOnce(lastProblems, address, `cannot join the etcd cluster through ${address}: ${errorText(error)}`);
            return undefined;
          }
        }),
      );
      let refusedForNow = false;
      for (const answer of lists) {
        if (answer === undefined) continue;
        try {
          return await this.addLearner(answer.address, answer.list.members, signal, report);
        } catch (error) {
          if (signal.aborted) throw error;
          const text = errorText(error);
          if (/^etcdserver: (unhealthy cluster|too many learner members in cluster)$/.test(text)) refusedForNow = true;
          this.noteOnce(lastProblems, answer.address, `cannot join the etcd cluster through ${answer.address}: ${text}`);
        }
      }
      if (!asked) {
        asked = true;
        const list = peers.length === 0 ? 'no other control plane is known yet' : `[${[this.options.address, ...peers].join(' ')}]`;
        report(
          `etcd is waiting to join the cluster, if this node is the first node in the cluster, please run \`talosctl bootstrap\` against one of the following IPs: ${list}`,
        );
      }
      await delay(refusedForNow ? JOIN_REFUSED_RETRY_MS : JOIN_RETRY_MS, undefined, {signal});
    }
  }

  /** A note for the log unless it repeats the last one about the same peer. */
  private noteOnce(last: Map<string, string>, key: string, line: string): void {
    if (last.get(key) === line) return;
    last.set(key, line);
    this.note(line);
  }

  private async addLearner(address: string, members: Member[], signal: AbortSignal, report: (message: string) => void): Promise<string[]> {
    const endpoint = etcdUrls(address).endpoint;
    const client = this.client(endpoint);
    const call = {signal, timeoutMs: JOIN_ATTEMPT_MS, requireLeader: true};
    const {hostname} = this.options;
    for (const member of members) {
      // Only an empty data dir gets here: a member of this name or peer URL is a former self.
      if (member.name === hostname || member.peerURLs.includes(this.urls.peer)) {
        await client.memberRemove(member.ID, call);
        report(`Removed stale etcd member ${memberIdText(member.ID)} (${member.name === '' ? 'unstarted' : member.name}) through ${address}`);
      }
    }
    const added = await client.memberAdd([this.urls.peer], true, call);
    const id = added.member?.ID;
    if (id === undefined) throw new Error('member add returned no member');
    this.promotion = {id, endpoint};
    report(`Added etcd member ${memberIdText(id)} as a learner through ${address}`);
    const initial = added.members.flatMap((member) =>
      member.peerURLs.map((url) => `${member.ID === id ? hostname : member.name}=${url}`),
    );
    return ['--initial-cluster', initial.join(','), '--initial-cluster-state', 'existing'];
  }

  private createRunner(): Runner {
    const runner = new ProcessRunner({
      id: ETCD_SERVICE_ID,
      args: this.args,
      env: etcdEnvironment(this.env),
      cwd: this.paths.dataDir,
      log: this.options.serviceLog,
      texts: 'process',
      groups: this.options.groups,
    });
    return new PromotingRunner(runner, (reporter, signal) => this.promote(reporter, signal));
  }

  /** Asks for the learner's promotion until it is in sync (etcd refuses before). */
  private async promote(reporter: RunnerReporter, signal: AbortSignal): Promise<void> {
    const promotion = this.promotion;
    if (promotion === undefined) return;
    let lastProblem = '';
    while (!signal.aborted && this.promotion === promotion) {
      try {
        const client = this.client(promotion.endpoint);
        await client.memberPromote(promotion.id, {signal, timeoutMs: JOIN_ATTEMPT_MS});
        this.promotion = undefined;
        reporter.running(`Promoted etcd member ${memberIdText(promotion.id)} to a voting member`);
        return;
      } catch (error) {
        if (signal.aborted) return;
        const text = errorText(error);
        if (/not a learner|member not found/.test(text)) {
          this.promotion = undefined;
          return;
        }
        if (text !== lastProblem) this.note(`etcd member ${memberIdText(promotion.id)} not promoted yet: ${text}`);
        lastProblem = text;
      }
      await delay(PROMOTE_RETRY_MS, undefined, {signal}).catch(() => undefined);
    }
  }

  /** Talos's ValidateQuorum: a linearizable read of `health` with require-leader. */
  private async checkQuorum(signal: AbortSignal): Promise<void> {
    try {
      await this.localClient().range({key: Buffer.from('health')}, {signal, timeoutMs: 5000, requireLeader: true});
    } catch (error) {
      if (/permission denied/.test(errorText(error))) return;
      throw new Error(errorText(error));
    }
  }

  // ---- EtcdAccess ----

  machineType(): string | undefined {
    return machineType(this.options.config());
  }

  localClient(): EtcdClient {
    return this.client(this.urls.endpoint);
  }

  async clusterClient(signal: AbortSignal): Promise<EtcdClient> {
    let tried: string[] = [];
    for (;;) {
      tried = [this.options.address, ...this.otherControlPlanes()];
      for (const address of tried) {
        const client = this.client(etcdUrls(address).endpoint);
        try {
          await client.status({signal, timeoutMs: 2000});
          return client;
        } catch {
          if (signal.aborted) break;
        }
      }
      try {
        await delay(JOIN_RETRY_MS, undefined, {signal});
      } catch {
        throw new Error(`no etcd member answers on the control planes ${tried.join(', ')}`);
      }
    }
  }

  localMemberId(signal: AbortSignal): Promise<bigint> {
    return localMemberIdFromStore(this.options.store, signal);
  }

  async stopAndWipe(): Promise<void> {
    await this.options.supervisor.stop(ETCD_SERVICE_ID);
    // A link there is not followed out of the node.
    const dataDir = await realDirectoryInside(this.paths.root, relative(this.paths.root, this.paths.dataDir));
    if (dataDir !== undefined) await emptyDir(dataDir);
  }

  // ---- helpers ----

  private get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  private client(endpoint: string): EtcdClient {
    let client = this.clients.get(endpoint);
    if (client === undefined) {
      client = new EtcdClient(endpoint, this.clientCredentials());
      this.clients.set(endpoint, client);
    }
    return client;
  }

  /** The credentials the pre state issued, or those a previous run left under system/secrets/etcd. */
  private clientCredentials(): EtcdClientCredentials {
    if (this.credentials !== undefined) return this.credentials;
    try {
      this.credentials = {
        ca: readFileSync(this.paths.ca, 'utf8'),
        cert: readFileSync(this.paths.adminCert, 'utf8'),
        key: readFileSync(this.paths.adminKey, 'utf8'),
      };
    } catch {
      // A plain error, as Talos's client failures are (code Unknown).
      throw new RpcError(status.UNKNOWN, 'failed to create etcd client: the etcd service has not issued its certificates on this node yet');
    }
    return this.credentials;
  }

  /** The other control planes' addresses, from discovery (Members), in name order. */
  private otherControlPlanes(): string[] {
    return this.options.store
      .list<MemberSpec>('cluster', MEMBER_TYPE)
      .filter((member) => (member.spec.machineType === 'controlplane' || member.spec.machineType === 'init') && member.metadata.id !== this.options.hostname)
      .flatMap((member) => member.spec.addresses.slice(0, 1))
      .filter((address) => address !== this.options.address);
  }

  /** A line in the etcd service log from osd (not from etcd). */
  private note(line: string): void {
    this.options.serviceLog.write(`${new Date().toISOString()} osd: ${line}\n`);
    this.options.log.info(`etcd: ${line}`);
  }
}

/** Runs etcd and, beside it, the promotion of a learner this node added. */
class PromotingRunner implements Runner {
  readonly name: string;

  constructor(
    private readonly inner: Runner,
    private readonly promote: (reporter: RunnerReporter, signal: AbortSignal) => Promise<void>,
  ) {
    this.name = inner.name;
  }

  async run(reporter: RunnerReporter): Promise<void> {
    const promoting = new AbortController();
    const running = this.inner.run(reporter);
    void this.promote(reporter, promoting.signal);
    try {
      await running;
    } finally {
      promoting.abort();
    }
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  pid(): number | undefined {
    return this.inner.pid();
  }
}

/** `%016x`, as talosctl shows member ids. */
export function memberIdText(id: bigint): string {
  return id.toString(16).padStart(16, '0');
}

/** etcd's environment: PATH only, so no ETCD_* variable of osd's environment changes its flags. */
function etcdEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {PATH: env.PATH ?? '/usr/bin:/bin'};
  if (process.arch === 'arm64') result.ETCD_UNSUPPORTED_ARCH = 'arm64';
  return result;
}

/** `explicit` when set, else `name` on PATH; undefined when not executable. */
export function findExecutable(name: string, explicit: string | undefined, path: string | undefined): string | undefined {
  const candidates = explicit !== undefined && explicit !== '' ? [explicit] : (path ?? '').split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export async function isDirEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

/** Removes what is in `dir`, not `dir` itself (Talos keeps /var/lib/etcd). */
export async function emptyDir(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await Promise.all(entries.map((entry) => rm(join(dir, entry), {recursive: true, force: true})));
}

function errorText(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'details' in error && typeof error.details === 'string' && error.details !== '') {
    // grpc-js wraps a failed connect in a long sentence; the socket error is what matters.
    return /Last error: (?:Error: )?(.*?)\.? Resolution note:/.exec(error.details)?.[1] ?? error.details;
  }
  return error instanceof Error ? error.message : String(error);
}
