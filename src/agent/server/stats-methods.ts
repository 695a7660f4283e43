// machine.MachineService Stats as Talos answers it: the containers `Containers` lists for the
// same namespace and driver (one inventory), each with its memory and CPU, where the runtime has
// metrics for it. System services and running pod containers are measured from /proc
// (process-usage.ts); a pod sandbox counts zero, as Talos's CRI inspector assumes for its pause
// container; a container with no process (created, exited) has no metrics and is left out.
import {MachineServiceService, type ContainerInfo, type Stat} from '../../machinery/api/machine/machine.js';
import type {NodeInside} from '../inside/node-inside.js';
import {ProcessSnapshot} from '../inside/process-usage.js';
import {checkInspector, podContainers, systemContainers} from './container-methods.js';
import {unaryMethod, type LocalMethod} from './methods.js';

export function statsMethods(inside: NodeInside): Array<[string, LocalMethod]> {
  return [
    unaryMethod(MachineServiceService.stats, async (request) => {
      const kind = checkInspector(request.namespace, request.driver);
      const containers =
        kind === 'system' ? systemContainers(inside.services()) : kind === 'k8s' ? podContainers(inside.runtime, request.namespace) : [];
      const snapshot = containers.length === 0 ? undefined : await ProcessSnapshot.read();
      const stats = containers.flatMap((container) => {
        const stat = containerStat(container, snapshot!);
        return stat === undefined ? [] : [stat];
      });
      return {messages: [{stats}]};
    }),
  ];
}

export function containerStat(container: ContainerInfo, snapshot: Pick<ProcessSnapshot, 'usage'>): Stat | undefined {
  const stat = {namespace: container.namespace, id: container.id, podId: container.podId, name: container.name};
  if (container.status === 'SANDBOX_READY') return {...stat, memoryUsage: 0n, cpuUsage: 0n};
  if (container.pid === 0 || (container.status !== 'RUNNING' && container.status !== 'CONTAINER_RUNNING')) return undefined;
  const usage = snapshot.usage(container.pid);
  if (usage === undefined) return undefined; // ended since the inventory was taken
  return {...stat, memoryUsage: usage.memoryBytes, cpuUsage: usage.cpuNs};
}
