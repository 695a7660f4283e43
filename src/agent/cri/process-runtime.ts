// osd's container runtime: every container is a host process in its own process group (the group
// stands in for the container's cgroup: when the main process exits, whatever it left behind in
// the group is killed too). The image is recorded and shown, never pulled, so a container needs a
// `command`. The runtime lives as long as osd: the kubelet may stop and come back and find its
// pods still running, as containerd keeps them across kubelet restarts.
import {spawn, type ChildProcess} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {mkdirSync, readdirSync, rmSync, statSync, unlinkSync} from 'node:fs';
import {basename, dirname, join} from 'node:path';
import {constants as osConstants} from 'node:os';
import {groupEmptied, killGroup, trackGroup, untrackGroup, type ProcessGroupRecords} from '../../machinery/process-groups.js';
import {CriLogWriter, DEFAULT_CRI_LOG_LIMITS, type CriLogLimits} from './cri-log.js';
import {
  ContainerCreateError,
  type Container,
  type ContainerConfig,
  type ContainerRuntime,
  type Sandbox,
  type SandboxConfig,
} from './runtime.js';

/** containerd's default PATH for containers whose image sets none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SHUTTING_DOWN = 'the container runtime is shutting down';
/** After SIGKILL, how long a process may take to be reaped before stop gives up waiting. */
const REAP_DEADLINE_MS = 5000;

interface LiveContainer {
  record: Container;
  config: ContainerConfig;
  child?: ChildProcess;
  /** Settles once a start in progress has spawned the process or failed. */
  starting?: Promise<void>;
  /** Resolves when the process has exited (immediately for one that never ran). */
  exited: Promise<void>;
  markExited: () => void;
}

export interface ProcessRuntimeOptions {
  logLimits?: Readonly<CriLogLimits>;
  /**
   * Where the runtime notes each running container's process group, so that an osd started after
   * one that died without stopping its containers can stop what that one left running (the caller
   * ends those leftovers before the runtime starts anything).
   */
  groups?: ProcessGroupRecords;
}

export class ProcessRuntime implements ContainerRuntime {
  readonly name = 'osd';
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly containers = new Map<string, LiveContainer>();
  private readonly exitListeners = new Set<(container: Container) => void>();
  private readonly logLimits: Readonly<CriLogLimits>;
  private readonly groups?: ProcessGroupRecords;
  private closing = false;
  private markClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  constructor(options: ProcessRuntimeOptions = {}) {
    this.logLimits = options.logLimits ?? DEFAULT_CRI_LOG_LIMITS;
    this.groups = options.groups;
  }

  runPodSandbox(config: SandboxConfig): Sandbox {
    if (this.closing) throw new Error(SHUTTING_DOWN);
    mkdirSync(config.logDirectory, {recursive: true, mode: 0o755});
    mkdirSync(config.podDirectory, {recursive: true, mode: 0o750});
    const sandbox: Sandbox = {...config, annotations: {...config.annotations}, id: newId(), state: 'SANDBOX_READY', createdAt: new Date()};
    this.sandboxes.set(sandbox.id, sandbox);
    return {...sandbox};
  }

  async stopPodSandbox(id: string, graceMs: number): Promise<void> {
    const sandbox = this.sandboxes.get(id);
    if (sandbox === undefined) return;
    sandbox.state = 'SANDBOX_NOTREADY';
    await Promise.all(this.listContainers(id).map((container) => this.stopContainer(container.id, graceMs)));
  }

  removePodSandbox(id: string): void {
    const sandbox = this.sandboxes.get(id);
    if (sandbox === undefined) return;
    if (sandbox.state === 'SANDBOX_READY') throw new Error(`pod sandbox ${id} must be stopped before it is removed`);
    for (const container of this.listContainers(id)) this.removeContainer(container.id);
    this.sandboxes.delete(id);
    rmSync(sandbox.logDirectory, {recursive: true, force: true});
    rmSync(sandbox.podDirectory, {recursive: true, force: true});
  }

  listPodSandboxes(): Sandbox[] {
    return [...this.sandboxes.values()].map((sandbox) => ({...sandbox}));
  }

  podSandbox(id: string): Sandbox | undefined {
    const sandbox = this.sandboxes.get(id);
    return sandbox === undefined ? undefined : {...sandbox};
  }

  createContainer(sandboxId: string, config: ContainerConfig): Container {
    const sandbox = this.sandboxes.get(sandboxId);
    if (sandbox === undefined || sandbox.state !== 'SANDBOX_READY') throw new Error(`pod sandbox ${sandboxId} is not ready`);
    if (config.command.length === 0) {
      throw new ContainerCreateError(
        `osd runs containers as host processes and cannot run the image "${config.image}" itself: ` +
          'set "command" (and "args") in the container spec to a program on the node, for example command: ["/bin/sh", "-c", "…"]',
      );
    }
    const logDirectory = join(sandbox.logDirectory, config.name);
    mkdirSync(logDirectory, {recursive: true, mode: 0o755});
    const record: Container = {
      id: newId(),
      sandboxId,
      name: config.name,
      image: config.image,
      attempt: config.attempt,
      state: 'CONTAINER_CREATED',
      createdAt: new Date(),
      logPath: join(logDirectory, `${config.attempt}.log`),
    };
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    this.containers.set(record.id, {record, config: {...config}, exited, markExited});
    return {...record};
  }

  startContainer(id: string): Promise<void> {
    const live = this.containers.get(id);
    if (live === undefined) return Promise.reject(new Error(`container ${id} not found`));
    if (live.record.state !== 'CONTAINER_CREATED') return Promise.reject(new Error(`container ${id} was already started`));
    if (this.closing) return Promise.reject(new Error(SHUTTING_DOWN));
    const sandbox = this.sandboxes.get(live.record.sandboxId)!;
    if (sandbox.state !== 'SANDBOX_READY') return Promise.reject(new Error(`pod sandbox ${sandbox.id} is not ready`));
    live.starting = this.spawnContainer(live, sandbox);
    return live.starting;
  }

  private spawnContainer(live: LiveContainer, sandbox: Sandbox): Promise<void> {
    const {config, record} = live;
    const cwd = config.workingDir ?? sandbox.podDirectory;
    const startFailure = (message: string): Promise<void> => {
      Object.assign(record, {state: 'CONTAINER_EXITED', exitCode: 128, reason: 'StartError', message, finishedAt: new Date()});
      live.markExited();
      return Promise.reject(new Error(message));
    };
    if (!isDirectory(cwd)) return startFailure(`working directory "${cwd}" does not exist on the node`);

    const env: Record<string, string> = {PATH: DEFAULT_PATH, HOSTNAME: sandbox.name};
    for (const {name, value} of config.env) env[name] = value;
    const argv = [...config.command, ...config.args];
    let log: CriLogWriter;
    try {
      log = new CriLogWriter(record.logPath, this.logLimits);
    } catch (error) {
      // Not a throw: the container must end up exited, or every retry would leave one behind.
      return startFailure(`cannot open the log file "${record.logPath}": ${(error as Error).message}`);
    }
    return new Promise<void>((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), {cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe']});
      if (child.pid !== undefined) {
        // Noted at once (not on 'spawn'): osd may be killed before its next turn of the event loop.
        trackGroup(child.pid);
        this.groups?.record(child.pid, `${sandbox.namespace}/${sandbox.name}/${config.name}`);
      }
      child.stdout!.on('data', (chunk: Buffer) => log.write('stdout', chunk));
      child.stderr!.on('data', (chunk: Buffer) => log.write('stderr', chunk));
      child.once('close', () => log.close());
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (child.pid !== undefined) return; // a failed kill: the exit handler still reports the exit
        log.close();
        startFailure(`cannot run ${JSON.stringify(argv[0])}: ${describeSpawnError(error)}`).catch(reject);
      });
      child.once('spawn', () => {
        live.child = child;
        Object.assign(record, {state: 'CONTAINER_RUNNING', pid: child.pid, startedAt: new Date()});
        resolve();
      });
      child.once('exit', (code, signal) => {
        // The rest of the group goes with the main process, as a container's cgroup is killed; the
        // group stays tracked and recorded until it is seen empty.
        const pgid = child.pid!;
        killGroup(pgid, 'SIGKILL');
        void groupEmptied(pgid).then(() => {
          untrackGroup(pgid);
          this.groups?.forget(pgid);
        });
        const exitCode = code ?? 128 + (signal === null ? 0 : osConstants.signals[signal]);
        Object.assign(record, {
          state: 'CONTAINER_EXITED',
          pid: undefined,
          exitCode,
          reason: exitCode === 0 ? 'Completed' : 'Error',
          finishedAt: new Date(),
        });
        live.child = undefined;
        live.markExited();
        for (const listener of [...this.exitListeners]) listener({...record});
      });
    });
  }

  async stopContainer(id: string, graceMs: number): Promise<void> {
    const live = this.containers.get(id);
    // A start in progress is let finish, so that its process is stopped rather than missed.
    await live?.starting?.catch(() => undefined);
    if (live?.child?.pid === undefined) return;
    const pid = live.child.pid;
    killGroup(pid, 'SIGTERM');
    if (await settlesWithin(live.exited, graceMs)) return;
    killGroup(pid, 'SIGKILL');
    await settlesWithin(live.exited, REAP_DEADLINE_MS);
  }

  signalContainer(id: string, signal: NodeJS.Signals): boolean {
    const pid = this.containers.get(id)?.child?.pid;
    return pid !== undefined && killGroup(pid, signal);
  }

  removeContainer(id: string): void {
    const live = this.containers.get(id);
    if (live === undefined) return;
    if (live.record.state === 'CONTAINER_RUNNING' || (live.record.state === 'CONTAINER_CREATED' && live.starting !== undefined)) {
      throw new Error(`container ${id} must be stopped before it is removed`);
    }
    this.containers.delete(id);
    removeLogFiles(live.record.logPath);
  }

  listContainers(sandboxId?: string): Container[] {
    const all = [...this.containers.values()].map((live) => ({...live.record}));
    return sandboxId === undefined ? all : all.filter((container) => container.sandboxId === sandboxId);
  }

  container(id: string): Container | undefined {
    const live = this.containers.get(id);
    return live === undefined ? undefined : {...live.record};
  }

  onContainerExit(listener: (container: Container) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    this.markClosed();
    await Promise.all([...this.sandboxes.keys()].map((id) => this.stopPodSandbox(id, graceMs)));
  }
}

function newId(): string {
  return randomBytes(32).toString('hex');
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function describeSpawnError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file or directory (the program must exist on the node, or be found in PATH)';
    case 'EACCES':
      return 'permission denied (the program must be an executable file)';
    default:
      return error.message;
  }
}

/** The instance's log file and its rotated predecessors. */
function removeLogFiles(logPath: string): void {
  const prefix = basename(logPath);
  let names: string[];
  try {
    names = readdirSync(dirname(logPath));
  } catch {
    return;
  }
  for (const name of names) {
    if (name === prefix || name.startsWith(`${prefix}.`)) unlinkSync(join(dirname(logPath), name));
  }
}
