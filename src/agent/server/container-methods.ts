// machine.MachineService Containers and Restart, and the container branch of Logs: the `system`
// namespace shows osd's services that run a process, `k8s.io` the kubelet's pods in the
// container runtime, with Talos's display ids (talos-behaviour.md items 21, 26, A-C5).
import {status} from '@grpc/grpc-js';
import {ContainerDriver} from '../../machinery/api/common/common.js';
import {MachineServiceService, type ContainerInfo} from '../../machinery/api/machine/machine.js';
import {readLogFile} from '../cri/cri-log.js';
import type {Container, ContainerRuntime, Sandbox} from '../cri/runtime.js';
import type {ContainerLogs} from './log-methods.js';
import {unaryMethod, type LocalMethod} from './methods.js';
import {RpcError} from './rpc-error.js';
import {plainError} from './service-methods.js';

export const K8S_NAMESPACE = 'k8s.io';
export const SYSTEM_NAMESPACE = 'system';

/** A service process as the supervisor reports it. */
export interface SystemProcess {
  id: string;
  pid: number;
  status: 'RUNNING' | 'STOPPED';
  image: string;
}

export interface ContainerMethodsContext {
  runtime: ContainerRuntime;
  /** osd's services that run a process (the supervisor's `processes()`). */
  processes: () => SystemProcess[];
  /** How long Restart lets a k8s.io container stop before SIGKILL (Talos: CRI StopContainer with 10 s). */
  restartGraceMs?: number;
}

const RESTART_GRACE_MS = 10_000;

/** The checks Talos's getContainerInspector makes, shared by Containers, Restart and Logs. */
export function checkInspector(namespace: string, driver: ContainerDriver): 'system' | 'k8s' | 'other' {
  if (namespace === '') throw new RpcError(status.INVALID_ARGUMENT, "namespace can't be empty");
  if (driver === ContainerDriver.CRI) {
    if (namespace !== K8S_NAMESPACE) throw plainError('CRI inspector is supported only for K8s namespace');
    return 'k8s';
  }
  if (driver !== ContainerDriver.CONTAINERD) throw new RpcError(status.INVALID_ARGUMENT, `unsupported driver "${driver}"`);
  return namespace === SYSTEM_NAMESPACE ? 'system' : namespace === K8S_NAMESPACE ? 'k8s' : 'other';
}

export function containerMethods(context: ContainerMethodsContext): Array<[string, LocalMethod]> {
  const {runtime} = context;
  return [
    unaryMethod(MachineServiceService.containers, (request) => {
      const kind = checkInspector(request.namespace, request.driver);
      const containers =
        kind === 'system' ? systemContainers(context.processes()) : kind === 'k8s' ? podContainers(runtime, request.namespace) : [];
      return {messages: [{containers}]};
    }),

    unaryMethod(MachineServiceService.restart, async (request) => {
      const kind = checkInspector(request.namespace, request.driver);
      if (kind === 'system') {
        const service = context.processes().find((candidate) => candidate.id === request.id && candidate.status === 'RUNNING');
        if (service === undefined) throw plainError(`container ${JSON.stringify(request.id)} not found`);
        // The service's runner sees its process end; its restart policy brings it back.
        try {
          process.kill(service.pid, 'SIGTERM');
        } catch {
          throw plainError(`container ${JSON.stringify(request.id)} not found`);
        }
        return {messages: [{}]};
      }
      const found = kind === 'k8s' ? findContainer(runtime, request.id) : undefined;
      if (found === undefined) throw plainError(`container ${JSON.stringify(request.id)} not found`);
      // As Talos's CRI StopContainer: SIGTERM, SIGKILL after the grace, so a container that ignores
      // SIGTERM restarts too; the kubelet sees the exit and restarts it by its pod's restart policy.
      // An exited container stops at once. For a sandbox (Talos: StopPodSandbox) every container is
      // stopped, the sandbox stays ready so that the kubelet can start them again.
      const targets = found.container === undefined ? runtime.listContainers(found.sandbox.id) : [found.container];
      await Promise.all(targets.map((container) => runtime.stopContainer(container.id, context.restartGraceMs ?? RESTART_GRACE_MS)));
      return {messages: [{}]};
    }),
  ];
}

/** The system namespace's containers: osd's services that run a process. */
export function systemContainers(processes: SystemProcess[]): ContainerInfo[] {
  return processes.map((process) => ({
    namespace: SYSTEM_NAMESPACE,
    id: process.id,
    image: process.image,
    pid: process.pid,
    status: process.status,
    podId: process.id,
    name: process.id,
    networkNamespace: '',
    internalId: process.id,
    uid: '',
  }));
}

/** Ready sandboxes and every container inside them. osd has no pause process: a sandbox shows pid 0 and no image. */
export function podContainers(runtime: ContainerRuntime, namespace: string): ContainerInfo[] {
  const rows: ContainerInfo[] = [];
  for (const sandbox of runtime.listPodSandboxes()) {
    if (sandbox.state !== 'SANDBOX_READY') continue;
    const podId = sandboxDisplayId(sandbox);
    rows.push({namespace, id: podId, image: '', pid: 0, status: sandbox.state, podId, name: podId, networkNamespace: '', internalId: sandbox.id, uid: sandbox.uid});
    for (const container of runtime.listContainers(sandbox.id)) {
      rows.push({
        namespace,
        id: containerDisplayId(sandbox, container),
        image: container.image,
        pid: container.pid ?? 0,
        status: container.state,
        podId,
        name: container.name,
        networkNamespace: '',
        internalId: container.id,
        uid: '',
      });
    }
  }
  return rows;
}

export function sandboxDisplayId(sandbox: Sandbox): string {
  return `${sandbox.namespace}/${sandbox.name}`;
}

export function containerDisplayId(sandbox: Sandbox, container: Container): string {
  return `${sandboxDisplayId(sandbox)}:${container.name}:${container.id.slice(0, 12)}`;
}

/**
 * A display id resolved as Talos's CRI inspector resolves it (A-C5): `ns/pod` is the ready
 * sandbox; `ns/pod:container` a container of that name (osd takes the newest instance, where
 * Talos takes whichever CRI lists first); a third part matches anywhere in the full container id.
 */
export function findContainer(runtime: ContainerRuntime, id: string): {sandbox: Sandbox; container?: Container} | undefined {
  const [podId, name, idPart] = id.split(':', 3);
  const sandbox = runtime.listPodSandboxes().find((candidate) => candidate.state === 'SANDBOX_READY' && sandboxDisplayId(candidate) === podId);
  if (sandbox === undefined) return undefined;
  if (name === undefined) return {sandbox};
  const matches = runtime
    .listContainers(sandbox.id)
    .filter((container) => container.name === name && (idPart === undefined || container.id.includes(idPart)));
  const container = matches.at(-1);
  return container === undefined ? undefined : {sandbox, container};
}

/** The k8s.io branch of Logs: a container's CRI log file, raw, in chunks of at most 1024 bytes. */
export function containerLogs(runtime: ContainerRuntime): ContainerLogs {
  return async (request, stream, signal) => {
    if (checkInspector(request.namespace, request.driver) !== 'k8s') throw plainError(`container ${JSON.stringify(request.id)} not found`);
    const found = findContainer(runtime, request.id);
    if (found === undefined) throw plainError(`container ${JSON.stringify(request.id)} not found`);
    // A sandbox has no log file.
    if (found.container === undefined) throw plainError('no log available');
    try {
      await readLogFile(found.container.logPath, {
        tailLines: request.tailLines,
        follow: request.follow,
        signal,
        send: (bytes) => stream.send({bytes}),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw plainError('no log available');
      throw error;
    }
  };
}
