// The container runtime the kubelet drives, shaped after the CRI RuntimeService (sandboxes and
// containers with their states). osd's runtime runs containers as host processes
// (process-runtime.ts); a containerd runtime could implement the same interface.

export type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface SandboxConfig {
  /** Kubernetes namespace and pod name (the pod's name on the node: `<name>-<nodename>`). */
  namespace: string;
  name: string;
  uid: string;
  /** Where the containers' log files go: `<log dir>/<container>/<restartCount>.log`. */
  logDirectory: string;
  /** The working directory of containers without `workingDir`. */
  podDirectory: string;
  /** Free-form facts the kubelet finds its pods by after a restart (manifest path, config hash). */
  annotations: Record<string, string>;
}

export interface Sandbox extends SandboxConfig {
  /** 64 hex characters, as containerd's ids. */
  id: string;
  state: SandboxState;
  createdAt: Date;
}

export interface EnvVar {
  name: string;
  value: string;
}

export interface ContainerConfig {
  name: string;
  /** Recorded and shown, never pulled. */
  image: string;
  /** Kubernetes semantics: `command` replaces the image's entrypoint, `args` follow it. */
  command: readonly string[];
  args: readonly string[];
  env: readonly EnvVar[];
  workingDir?: string;
  /** The kubelet's restart count for this container: the log file is `<attempt>.log`. */
  attempt: number;
}

export interface Container {
  id: string;
  sandboxId: string;
  name: string;
  image: string;
  attempt: number;
  state: ContainerState;
  /** The process while it runs. */
  pid?: number;
  exitCode?: number;
  /** CRI's reason for an exit: `Completed`, `Error`, `StartError`. */
  reason?: string;
  message?: string;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  logPath: string;
}

/** Why a container could not be created; `reason` is what the pod status shows (CreateContainerError). */
export class ContainerCreateError extends Error {
  readonly reason = 'CreateContainerError';
}

export interface ContainerRuntime {
  /** What the runtime is, for container ids in pod statuses (`<name>://<id>`). */
  readonly name: string;
  runPodSandbox(config: SandboxConfig): Sandbox;
  /** Stops every container of the sandbox (grace, then kill) and marks it not ready. */
  stopPodSandbox(id: string, graceMs: number): Promise<void>;
  /** Removes a stopped sandbox with its containers and their log files. */
  removePodSandbox(id: string): void;
  listPodSandboxes(): Sandbox[];
  podSandbox(id: string): Sandbox | undefined;

  /** Records a container; throws ContainerCreateError when the runtime cannot run it at all. */
  createContainer(sandboxId: string, config: ContainerConfig): Container;
  /** Starts a created container; resolves once it runs, rejects (leaving it exited) when it cannot start. */
  startContainer(id: string): Promise<void>;
  /** SIGTERM to the container's processes, SIGKILL after `graceMs`; resolves once it has exited. */
  stopContainer(id: string, graceMs: number): Promise<void>;
  /** Sends a signal to the container's processes without waiting (Restart: the kubelet then restarts it). */
  signalContainer(id: string, signal: NodeJS.Signals): boolean;
  removeContainer(id: string): void;
  /** Oldest first. */
  listContainers(sandboxId?: string): Container[];
  container(id: string): Container | undefined;
  /** Called once per container exit, after its state became CONTAINER_EXITED. */
  onContainerExit(listener: (container: Container) => void): () => void;

  /** osd is stopping: every container is stopped; nothing the runtime started is left running. */
  shutdown(graceMs: number): Promise<void>;
  /** Resolves once shutdown() has begun: from then on the runtime starts no sandbox or container. */
  readonly closed: Promise<void>;
}
