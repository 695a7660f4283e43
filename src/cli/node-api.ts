// MachineService calls for troubleshooting a node (service, logs, containers, restart), returning
// the plain records the printers take. One call per node (gRPC metadata `node`); a merged answer
// of the deprecated one-to-many mode names its node in `metadata.hostname`, and a node error in it
// becomes this call's failure. Loaded lazily with the client.
//
// serviceIds, containerIds and logIds are the dynamic values shell completion offers.
import {ContainerDriver, type Data, type Metadata} from '../machinery/api/common/common.js';
import {
  ContainerInfo, MachineServiceService, ServiceInfo,
} from '../machinery/api/machine/machine.js';
import type {OsClient, ServerStream} from './client.js';
import type {ContainerRecord} from './output/containers-view.js';
import type {ServiceActionRecord, ServiceRecord} from './output/service-view.js';

export type ServiceAction = 'start' | 'stop' | 'restart';

/** Containerd's namespaces as Talos names them: its own services, and Kubernetes' pods. */
export const SYSTEM_NAMESPACE = 'system';
export const K8S_NAMESPACE = 'k8s.io';

/** Where `-k` points a request: the k8s.io namespace through CRI, else Talos's system containers. */
export function containerTarget(kubernetes: boolean): {namespace: string; driver: ContainerDriver} {
  return kubernetes ? {namespace: K8S_NAMESPACE, driver: ContainerDriver.CRI} : {namespace: SYSTEM_NAMESPACE, driver: ContainerDriver.CONTAINERD};
}

/** A merged answer carries a node's failure in its metadata: that becomes this call's failure. */
function throwNodeError(metadata: Metadata | undefined): void {
  if (metadata?.error) throw new Error(metadata.error);
}

/** The node a message speaks for (after throwNodeError). */
export function messageNode(metadata: Metadata | undefined, node: string): string {
  throwNodeError(metadata);
  return metadata?.hostname || node;
}

export function serviceRecord(info: ServiceInfo, node: string): ServiceRecord {
  return {
    node,
    id: info.id,
    state: info.state,
    health: {
      unknown: info.health?.unknown ?? false,
      healthy: info.health?.healthy ?? false,
      lastMessage: info.health?.lastMessage ?? '',
      lastChange: info.health?.lastChange,
    },
    events: (info.events?.events ?? []).map((e) => ({msg: e.msg, state: e.state, ts: e.ts})),
  };
}

export async function listServices(client: OsClient, node: string): Promise<ServiceRecord[]> {
  const response = await client.unary(MachineServiceService.serviceList, {}, node);
  return response.messages.flatMap((message) => {
    const from = messageNode(message.metadata, node);
    return message.services.map((info) => serviceRecord(info, from));
  });
}

const ACTION_METHODS = {
  start: MachineServiceService.serviceStart,
  stop: MachineServiceService.serviceStop,
  restart: MachineServiceService.serviceRestart,
} as const;

export async function serviceAction(client: OsClient, node: string, action: ServiceAction, id: string): Promise<ServiceActionRecord[]> {
  // The three methods share their shapes: {id} in, messages of {metadata, resp} out.
  const method = ACTION_METHODS[action] as typeof MachineServiceService.serviceStart;
  const response = await client.unary(method, {id}, node);
  return response.messages.map((message) => ({node: messageNode(message.metadata, node), resp: message.resp}));
}

export function containerRecord(info: ContainerInfo, node: string): ContainerRecord {
  return {
    node,
    namespace: info.namespace,
    id: info.id,
    podId: info.podId,
    name: info.name,
    image: info.image,
    pid: info.pid,
    status: info.status,
    internalId: info.internalId,
    uid: info.uid,
    networkNamespace: info.networkNamespace,
  };
}

/** One list per message (a node's answer is sorted and drawn on its own). */
export async function listContainers(client: OsClient, node: string, kubernetes: boolean): Promise<ContainerRecord[][]> {
  const response = await client.unary(MachineServiceService.containers, containerTarget(kubernetes), node);
  return response.messages.map((message) => {
    const from = messageNode(message.metadata, node);
    return message.containers.map((info) => containerRecord(info, from));
  });
}

export interface LogsOptions {
  id: string;
  kubernetes: boolean;
  follow: boolean;
  /** -1: every line */
  tailLines: number;
}

/**
 * A node's log stream. Without follow it must start answering within the timeout; with follow
 * it may stay silent until the service writes.
 */
export function openLogs(client: OsClient, node: string, options: LogsOptions): ServerStream<Data> {
  const request = {...containerTarget(options.kubernetes), id: options.id, follow: options.follow, tailLines: options.tailLines};
  return client.serverStream(MachineServiceService.logs, request, node, options.follow ? 'none' : 'first-answer');
}

/** The chunk's bytes, after checking it carries no node error. */
export function logChunk(data: Data, node: string): {node: string; bytes: Uint8Array} {
  return {node: messageNode(data.metadata, node), bytes: data.bytes};
}

/** For completion of `service <id>`: the node's service ids, in its (sorted) order. */
export async function serviceIds(client: OsClient, node: string): Promise<string[]> {
  return (await listServices(client, node)).map((s) => s.id);
}

/** For completion of `restart <id>` and `logs -k <id>`: the ids `containers` shows. */
export async function containerIds(client: OsClient, node: string, kubernetes: boolean): Promise<string[]> {
  return (await listContainers(client, node, kubernetes)).flat().map((c) => c.id);
}

/** For completion of `logs <id>`: the node's registered service logs. */
export async function logIds(client: OsClient, node: string): Promise<string[]> {
  const response = await client.unary(MachineServiceService.logsContainers, {}, node);
  return response.messages.flatMap((message) => {
    throwNodeError(message.metadata);
    return message.ids;
  });
}

/** Restarts a container (-k) or a system service's process on the node; nothing is printed on success. */
export async function restartContainer(client: OsClient, node: string, id: string, kubernetes: boolean): Promise<void> {
  const response = await client.unary(MachineServiceService.restart, {...containerTarget(kubernetes), id}, node);
  for (const message of response.messages) throwNodeError(message.metadata);
}
