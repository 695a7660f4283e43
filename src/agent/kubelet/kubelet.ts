// osd's kubelet: runs the static pods of `<root>/etc/kubernetes/manifests` on a ContainerRuntime.
// The folder is watched (fs.watch, plus a resync every second so no change is missed): a new
// manifest starts its pod, a changed one destroys and recreates it, a removed one destroys it. A
// manifest kubelet cannot read is logged (one JSON line, as kubelet's `config/file.go` logs it)
// and affects no other pod. Containers restart by the pod's restartPolicy with Kubernetes's
// back-off. StaticPodStatus resources are published while the kubelet runs.
//
// The kubelet keeps nothing the runtime does not: a new Kubelet over the same runtime finds its
// pods by the sandbox annotations and re-adopts those whose manifest is unchanged, as a restarted
// kubelet finds its pods in containerd.
import {createHash} from 'node:crypto';
import {watch, type FSWatcher} from 'node:fs';
import {mkdir, readdir} from 'node:fs/promises';
import {readRegularFile} from '../regular-file.js';
import {formatDuration} from '../../machinery/go-duration.js';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import {formatGoTimestamp} from '../../machinery/yaml-emit.js';
import {STATIC_POD_STATUS_TYPE, type StaticPodStatusSpec} from '../controllers/resource-types.js';
import {ContainerCreateError, type Container, type ContainerRuntime, type Sandbox} from '../cri/runtime.js';
import type {ResourceStore} from '../store/store.js';
import {MANIFEST_DIR} from './manifests.js';
import {ManifestError, readPodManifest, type ContainerSpec, type PodSpec} from './pod-validation.js';

export const STATIC_POD_STATUS_OWNER = 'k8s.KubeletStaticPodController';
/** Sandbox annotations the kubelet finds its pods by. */
const MANIFEST_ANNOTATION = 'kubernetes.io/config.source.file';
const HASH_ANNOTATION = 'kubernetes.io/config.hash';

const WATCH_DEBOUNCE_MS = 50;

export interface Backoff {
  /** The delay of the second restart in a row (the first is immediate); doubles up to maxMs. Kubernetes: 10 s. */
  initialMs: number;
  /** Kubernetes: 5 min. A container that ran for twice this long starts over without delay. */
  maxMs: number;
}

export const KUBERNETES_BACKOFF: Readonly<Backoff> = {initialMs: 10_000, maxMs: 300_000};

export interface KubeletOptions {
  /** The node's root (the state dir): manifests, pod logs and pod directories live under it. */
  root: string;
  /** The node's hostname; pods are named `<name>-<nodename>`. */
  nodename: string;
  /** The node's address: hostIP and podIP (containers share the host's network). */
  hostIP: string;
  runtime: ContainerRuntime;
  store: ResourceStore;
  /** The kubelet service log. */
  log: {write(data: string): void};
  resyncMs?: number;
  backoff?: Backoff;
}

interface ContainerSlot {
  spec: ContainerSpec;
  /** The newest instance in the runtime. */
  current?: Container;
  /** Instances that ended and were replaced. */
  restartCount: number;
  /** The last instance that ended (the status's lastState). */
  lastTerminated?: Container;
  /** Why no instance runs: `ContainerCreating`, `CreateContainerError`, `CrashLoopBackOff`. */
  waiting?: {reason: string; message?: string};
  /** The delay before the next restart in a row. */
  backoffMs: number;
  restartTimer?: NodeJS.Timeout;
}

interface Condition {
  status: 'True' | 'False';
  lastTransitionTime: string;
}

interface PodRecord {
  file: string;
  hash: string;
  spec: PodSpec;
  /** `<name>-<nodename>`. */
  fullName: string;
  uid: string;
  sandbox: Sandbox;
  containers: Map<string, ContainerSlot>;
  conditions: Map<string, Condition>;
  destroyed: boolean;
}

export class Kubelet {
  private readonly manifestDir: string;
  private readonly backoff: Backoff;
  /** By manifest file name. */
  private readonly pods = new Map<string, PodRecord>();
  /** Manifests that could not be read, by file name, with the hash already reported. */
  private readonly reported = new Map<string, string>();
  private watcher?: FSWatcher;
  private resyncTimer?: NodeJS.Timeout;
  private debounceTimer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private syncing?: Promise<void>;
  private syncAgain = false;
  private stopped = false;
  /** When the last sync of the manifest folder completed (the health check reads it). */
  lastSyncAt = 0;

  constructor(private readonly options: KubeletOptions) {
    this.manifestDir = join(options.root, MANIFEST_DIR);
    this.backoff = options.backoff ?? KUBERNETES_BACKOFF;
  }

  /** Adopts the pods the runtime still runs, syncs the folder once, then keeps watching it. */
  async start(): Promise<void> {
    await mkdir(this.manifestDir, {recursive: true, mode: 0o755});
    this.unsubscribe = this.options.runtime.onContainerExit((container) => this.containerExited(container));
    await this.sync(true);
    if (this.stopped) return;
    // A short delay lets a file being written finish before it is read.
    this.watcher = watch(this.manifestDir, {persistent: false}, () => {
      this.debounceTimer ??= setTimeout(() => {
        this.debounceTimer = undefined;
        this.requestSync();
      }, WATCH_DEBOUNCE_MS);
    });
    this.watcher.on('error', (error) => this.logLine('kubelet/kubelet.ts', 'Watching the manifest folder failed', {err: error.message}));
    this.resyncTimer = setInterval(() => this.requestSync(), this.options.resyncMs ?? 1000);
  }

  /**
   * Stops watching and supervising. Pods keep running in the runtime (a kubelet restart adopts
   * them); their StaticPodStatuses are removed, as Talos removes them when kubelet is not running.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearInterval(this.resyncTimer);
    clearTimeout(this.debounceTimer);
    this.unsubscribe?.();
    await this.syncing;
    for (const pod of this.pods.values()) {
      for (const slot of pod.containers.values()) clearTimeout(slot.restartTimer);
      this.options.store.destroy({namespace: 'k8s', type: STATIC_POD_STATUS_TYPE, id: statusId(pod)}, STATIC_POD_STATUS_OWNER);
    }
    this.pods.clear();
  }

  /** The pods the kubelet runs, by StaticPodStatus id. */
  podIds(): string[] {
    return [...this.pods.values()].map(statusId);
  }

  private requestSync(): void {
    if (this.stopped) return;
    if (this.syncing !== undefined) {
      this.syncAgain = true;
      return;
    }
    void this.sync(false);
  }

  private sync(first: boolean): Promise<void> {
    const run = async (): Promise<void> => {
      try {
        do {
          this.syncAgain = false;
          await this.syncOnce(first);
          first = false;
          this.lastSyncAt = Date.now();
        } while (this.syncAgain && !this.stopped);
      } catch (error) {
        this.logLine('kubelet/kubelet.ts', 'Syncing static pods failed', {err: (error as Error).message});
      } finally {
        this.syncing = undefined;
      }
    };
    this.syncing = run();
    return this.syncing;
  }

  private async syncOnce(first: boolean): Promise<void> {
    const names = (await readdir(this.manifestDir).catch(() => [] as string[])).filter((name) => !name.startsWith('.')).sort();
    const present = new Set<string>();
    const claimed = new Set<string>();
    // Pods of removed manifests go first: a renamed manifest then finds its pod's name free.
    for (const [file, pod] of this.pods) {
      if (!names.includes(file)) await this.destroyPod(pod, 'its manifest was removed');
    }
    for (const file of names) {
      if (this.stopped) return;
      const read = await readManifestFile(this.manifestDir, file);
      if (read === undefined) continue; // a directory, or removed meanwhile
      present.add(file);
      const existing = this.pods.get(file);
      if ('problem' in read) {
        if (existing !== undefined) await this.destroyPod(existing, 'its manifest changed');
        this.reportOnce(file, read.problem, read.problem);
        continue;
      }
      const {text} = read;
      const hash = createHash('sha256').update(text).digest('hex');
      if (existing !== undefined && existing.hash === hash) {
        claimed.add(existing.sandbox.id);
        this.publish(existing);
        continue;
      }
      if (existing !== undefined) await this.destroyPod(existing, 'its manifest changed');
      const spec = this.readManifest(file, text, hash);
      if (spec === undefined) continue;
      const fullName = `${spec.name}-${this.options.nodename.toLowerCase()}`;
      const clash = [...this.pods.values()].find((pod) => pod.spec.namespace === spec.namespace && pod.fullName === fullName);
      if (clash !== undefined) {
        this.reportOnce(file, hash, `pod ${spec.namespace}/${fullName} is already defined by ${nodePath(clash.file)}`);
        continue;
      }
      const pod = this.createPod(file, hash, spec, fullName);
      claimed.add(pod.sandbox.id);
    }
    for (const [file, pod] of this.pods) {
      if (!present.has(file)) await this.destroyPod(pod, 'its manifest was removed');
    }
    for (const file of this.reported.keys()) if (!present.has(file)) this.reported.delete(file);
    // Pods left in the runtime by an earlier kubelet whose manifests are gone or changed.
    if (first) {
      for (const sandbox of this.options.runtime.listPodSandboxes()) {
        if (sandbox.annotations[MANIFEST_ANNOTATION] === undefined || claimed.has(sandbox.id)) continue;
        await this.options.runtime.stopPodSandbox(sandbox.id, 30_000);
        this.options.runtime.removePodSandbox(sandbox.id);
        this.logLine('kubelet/kubelet.ts', 'Removed pod whose manifest is gone', {pod: `${sandbox.namespace}/${sandbox.name}`});
      }
    }
  }

  /** The pod of a manifest, or undefined after logging why the manifest cannot be used. */
  private readManifest(file: string, text: string, hash: string): PodSpec | undefined {
    try {
      const spec = readPodManifest(text, nodePath(file));
      this.reported.delete(file);
      return spec;
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      this.reportOnce(file, hash, error.message);
      return undefined;
    }
  }

  private reportOnce(file: string, hash: string, err: string): void {
    if (this.reported.get(file) === hash) return;
    this.reported.set(file, hash);
    this.logLine('config/file.go:187', 'Could not process manifest file', {path: nodePath(file), err});
  }

  private createPod(file: string, hash: string, spec: PodSpec, fullName: string): PodRecord {
    const {runtime, nodename, root} = this.options;
    // As kubelet's static pod UID: a hash of the manifest, the node and the source.
    const uid = createHash('md5').update(`${hash}\0${nodename}\0${nodePath(file)}`).digest('hex');
    const adopted = runtime
      .listPodSandboxes()
      .find((sandbox) => sandbox.state === 'SANDBOX_READY' && sandbox.annotations[MANIFEST_ANNOTATION] === file && sandbox.annotations[HASH_ANNOTATION] === hash);
    const sandbox =
      adopted ??
      runtime.runPodSandbox({
        namespace: spec.namespace,
        name: fullName,
        uid,
        logDirectory: join(root, 'var/log/pods', `${spec.namespace}_${fullName}_${uid}`),
        podDirectory: join(root, 'var/lib/kubelet/pods', uid),
        annotations: {[MANIFEST_ANNOTATION]: file, [HASH_ANNOTATION]: hash},
      });
    const pod: PodRecord = {file, hash, spec, fullName, uid: sandbox.uid, sandbox, containers: new Map(), conditions: new Map(), destroyed: false};
    this.pods.set(file, pod);
    const instances = adopted === undefined ? [] : runtime.listContainers(sandbox.id);
    this.logLine('kubelet/kubelet.ts', adopted === undefined ? 'Created pod' : 'Adopted running pod', {pod: `${spec.namespace}/${fullName}`, podUID: pod.uid});
    for (const containerSpec of spec.containers) {
      const mine = instances.filter((instance) => instance.name === containerSpec.name);
      const current = mine.at(-1);
      const previous = mine.at(-2);
      const slot: ContainerSlot = {spec: containerSpec, current, restartCount: current?.attempt ?? 0, backoffMs: 0, lastTerminated: previous};
      pod.containers.set(containerSpec.name, slot);
      if (current === undefined) void this.startContainer(pod, slot);
      else if (current.state === 'CONTAINER_EXITED') this.afterExit(pod, slot, current); // it ended while no kubelet watched
    }
    this.publish(pod);
    return pod;
  }

  private async destroyPod(pod: PodRecord, why: string): Promise<void> {
    pod.destroyed = true;
    this.pods.delete(pod.file);
    for (const slot of pod.containers.values()) clearTimeout(slot.restartTimer);
    this.options.store.destroy({namespace: 'k8s', type: STATIC_POD_STATUS_TYPE, id: statusId(pod)}, STATIC_POD_STATUS_OWNER);
    this.logLine('kubelet/kubelet.ts', `Killing pod: ${why}`, {pod: `${pod.spec.namespace}/${pod.fullName}`, podUID: pod.uid});
    await this.options.runtime.stopPodSandbox(pod.sandbox.id, pod.spec.terminationGracePeriodSeconds * 1000);
    this.options.runtime.removePodSandbox(pod.sandbox.id);
  }

  private async startContainer(pod: PodRecord, slot: ContainerSlot): Promise<void> {
    const {runtime} = this.options;
    const podName = `${pod.spec.namespace}/${pod.fullName}`;
    let created: Container;
    try {
      // The one dead instance Kubernetes keeps per container is the one being replaced.
      for (const old of runtime.listContainers(pod.sandbox.id)) {
        if (old.name === slot.spec.name && old.id !== slot.current?.id && old.state === 'CONTAINER_EXITED') runtime.removeContainer(old.id);
      }
      created = runtime.createContainer(pod.sandbox.id, {...withVariablesExpanded(slot.spec), attempt: slot.restartCount});
    } catch (error) {
      // Also a sandbox the runtime stopped while shutting down, or a log folder it cannot make:
      // callers do not await this, so nothing may escape as an unhandled rejection.
      const reason = error instanceof ContainerCreateError ? error.reason : 'CreateContainerError';
      slot.waiting = {reason, message: (error as Error).message};
      this.logLine('kuberuntime/kuberuntime_manager.go', 'Error syncing pod, skipping', {pod: podName, container: slot.spec.name, err: `${reason}: ${(error as Error).message}`});
      this.publish(pod);
      return;
    }
    slot.current = created;
    slot.waiting = {reason: 'ContainerCreating'};
    try {
      await runtime.startContainer(created.id);
      slot.waiting = undefined;
      slot.current = runtime.container(created.id);
      this.logLine('kuberuntime/kuberuntime_container.go', 'Started container', {
        pod: podName,
        container: slot.spec.name,
        containerID: created.id,
        pid: slot.current?.pid,
        restartCount: slot.restartCount,
      });
      this.publish(pod);
    } catch (error) {
      slot.current = runtime.container(created.id);
      this.logLine('kuberuntime/kuberuntime_manager.go', 'Error syncing pod, skipping', {pod: podName, container: slot.spec.name, err: `RunContainerError: ${(error as Error).message}`});
      if (!pod.destroyed && !this.stopped && slot.current !== undefined) this.afterExit(pod, slot, slot.current);
    }
  }

  private containerExited(container: Container): void {
    if (this.stopped) return;
    for (const pod of this.pods.values()) {
      if (pod.destroyed || pod.sandbox.id !== container.sandboxId) continue;
      const slot = pod.containers.get(container.name);
      if (slot?.current?.id !== container.id) return;
      this.logLine('kuberuntime/kuberuntime_container.go', 'Container exited', {
        pod: `${pod.spec.namespace}/${pod.fullName}`,
        container: container.name,
        containerID: container.id,
        exitCode: container.exitCode,
      });
      this.afterExit(pod, slot, container);
      return;
    }
  }

  /** Restart policy and back-off for an instance that ended. */
  private afterExit(pod: PodRecord, slot: ContainerSlot, ended: Container): void {
    slot.current = ended;
    slot.lastTerminated = ended;
    const policy = pod.spec.restartPolicy;
    const restart = policy === 'Always' || (policy === 'OnFailure' && ended.exitCode !== 0);
    if (!restart) {
      slot.waiting = undefined;
      this.publish(pod);
      return;
    }
    const ranMs = (ended.finishedAt?.getTime() ?? Date.now()) - (ended.startedAt?.getTime() ?? Date.now());
    if (ranMs > 2 * this.backoff.maxMs) slot.backoffMs = 0;
    const delay = slot.backoffMs;
    slot.backoffMs = delay === 0 ? this.backoff.initialMs : Math.min(2 * delay, this.backoff.maxMs);
    const podRef = `${pod.fullName}_${pod.spec.namespace}(${pod.uid})`;
    slot.waiting =
      delay === 0
        ? {reason: 'ContainerCreating'}
        : {reason: 'CrashLoopBackOff', message: `back-off ${formatDuration(delay)} restarting failed container=${slot.spec.name} pod=${podRef}`};
    if (delay > 0) this.logLine('kuberuntime/kuberuntime_manager.go', 'Back-off restarting failed container', {pod: `${pod.spec.namespace}/${pod.fullName}`, container: slot.spec.name, delay: formatDuration(delay)});
    this.publish(pod);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (pod.destroyed || this.stopped) return;
      slot.restartCount++;
      void this.startContainer(pod, slot);
    }, delay);
  }

  private publish(pod: PodRecord): void {
    if (pod.destroyed || this.stopped) return;
    this.options.store.put<StaticPodStatusSpec>({
      type: STATIC_POD_STATUS_TYPE,
      namespace: 'k8s',
      id: statusId(pod),
      owner: STATIC_POD_STATUS_OWNER,
      spec: this.podStatus(pod),
    });
  }

  /** A Kubernetes PodStatus (JSON field names), keys in Go map order as Talos holds it. */
  private podStatus(pod: PodRecord): StaticPodStatusSpec {
    const slots = [...pod.containers.values()];
    const running = slots.filter((slot) => slot.current?.state === 'CONTAINER_RUNNING');
    const allRunning = running.length === slots.length;
    const ended = slots.filter((slot) => slot.current?.state === 'CONTAINER_EXITED' && slot.waiting === undefined);
    const everStarted = slots.some((slot) => slot.restartCount > 0 || slot.current?.startedAt !== undefined);
    let phase: string;
    if (ended.length === slots.length) phase = ended.every((slot) => slot.current?.exitCode === 0) ? 'Succeeded' : 'Failed';
    else if (running.length > 0 || everStarted) phase = 'Running';
    else phase = 'Pending';

    const condition = (type: string, status: boolean): Record<string, unknown> => {
      const value = status ? 'True' : 'False';
      let known = pod.conditions.get(type);
      if (known?.status !== value) {
        known = {status: value, lastTransitionTime: formatGoTimestamp(new Date(Math.floor(Date.now() / 1000) * 1000))};
        pod.conditions.set(type, known);
      }
      return {lastProbeTime: null, lastTransitionTime: known.lastTransitionTime, status: known.status, type};
    };
    const ip = this.options.hostIP;
    const runtimeName = this.options.runtime.name;
    return {
      conditions: [
        condition('PodReadyToStartContainers', true),
        condition('Initialized', true),
        condition('Ready', allRunning),
        condition('ContainersReady', allRunning),
        condition('PodScheduled', true),
      ],
      containerStatuses: slots
        .map((slot) => containerStatus(slot, runtimeName))
        .sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1)),
      hostIP: ip,
      hostIPs: [{ip}],
      phase,
      podIP: ip,
      podIPs: [{ip}],
      qosClass: 'BestEffort',
      startTime: formatGoTimestamp(secondsOf(pod.sandbox.createdAt)),
    };
  }

  private logLine(caller: string, msg: string, fields: Record<string, unknown>): void {
    // kubelet's JSON logger: milliseconds since the epoch with microseconds as the fraction.
    const ts = Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
    this.options.log.write(`${JSON.stringify({ts, caller, msg, ...fields})}\n`);
  }
}

function containerStatus(slot: ContainerSlot, runtimeName: string): Record<string, unknown> {
  const {current, waiting} = slot;
  const terminated = (container: Container): Record<string, unknown> => ({
    terminated: {
      containerID: `${runtimeName}://${container.id}`,
      exitCode: container.exitCode ?? 0,
      finishedAt: formatGoTimestamp(secondsOf(container.finishedAt ?? new Date())),
      ...(container.message === undefined ? {} : {message: container.message}),
      reason: container.reason ?? 'Error',
      ...(container.startedAt === undefined ? {} : {startedAt: formatGoTimestamp(secondsOf(container.startedAt))}),
    },
  });
  let state: Record<string, unknown>;
  const lastState = 
    slot.lastTerminated === undefined || (slot.lastTerminated === current && waiting === undefined) ? {} : terminated(slot.lastTerminated);
  if (waiting !== undefined) {
    state = {waiting: {...(waiting.message === undefined ? {} : {message: waiting.message}), reason: waiting.reason}};
  } else if (current?.state === 'CONTAINER_RUNNING') {
    state = {running: {startedAt: formatGoTimestamp(secondsOf(current.startedAt!))}};
  } else if (current !== undefined) {
    state = terminated(current);
  } else {
    state = {waiting: {reason: 'ContainerCreating'}};
  }
  const isRunning = current?.state === 'CONTAINER_RUNNING' && waiting === undefined;
  return {
    ...(current === undefined ? {} : {containerID: `${runtimeName}://${current.id}`}),
    image: slot.spec.image,
    imageID: '',
    lastState,
    name: slot.spec.name,
    ready: isRunning,
    restartCount: slot.restartCount,
    started: isRunning,
    state,
  };
}

/**
 * Kubernetes's `$(VAR)` references: an env value may use the variables defined before it, command
 * and args all of them; `$$` escapes a `$`, and a reference to an undefined variable stays as written.
 */
export function withVariablesExpanded(spec: ContainerSpec): ContainerSpec {
  const defined = new Map<string, string>();
  const expand = (text: string): string =>
    text.replace(/\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)/g, (match, name: string | undefined) =>
      name === undefined ? '$' : (defined.get(name) ?? match),
    );
  const env = spec.env.map(({name, value}) => {
    const expanded = {name, value: expand(value)};
    defined.set(name, expanded.value);
    return expanded;
  });
  return {...spec, env, command: spec.command.map(expand), args: spec.args.map(expand)};
}

function statusId(pod: PodRecord): string {
  return `${pod.spec.namespace}/${pod.fullName}`;
}

/** A manifest's path as the node shows it. */
/** Larger than any pod manifest; reading more would only cost osd memory. */
const MAX_MANIFEST_BYTES = 4 << 20;

/**
 * A manifest's text, or why it cannot be one; undefined for a directory or a file gone meanwhile.
 * Opened without blocking and checked before reading: a FIFO would hold the sync loop forever,
 * a device or a huge file would fill osd's memory.
 */
async function readManifestFile(dir: string, file: string): Promise<{text: string} | {problem: string} | undefined> {
  const read = await readRegularFile(join(dir, file), MAX_MANIFEST_BYTES).catch(() => undefined); // unreadable: as if removed
  switch (read?.kind) {
    case undefined:
    case 'directory':
      return undefined;
    case 'not regular':
      return {problem: `manifest path "${nodePath(file)}" is not a file or directory: remove it, or put a pod manifest there`};
    case 'too large':
      return {problem: `manifest file "${nodePath(file)}" is ${read.size} bytes, more than a pod manifest (at most ${MAX_MANIFEST_BYTES}): remove it`};
    case 'text':
      return {text: read.text};
  }
}

function nodePath(file: string): string {
  return `/${MANIFEST_DIR}/${file}`;
}

/** Kubernetes times have whole seconds. */
function secondsOf(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
