// Logs and LogsContainers (talos-api.md §3.5, talos-behaviour.md items 16–22). Namespace `system`
// or id `kubelet` reads a service log; anything else is a container log, which the injected
// `containerLogs` serves (the CRI side lives with the container runtime). Every chunk is at most
// 1024 bytes and is sent only when the client has room for it.
import type {Data} from '../../machinery/api/common/common.js';
import {MachineServiceService, type LogsRequest} from '../../machinery/api/machine/machine.js';
import {LogNotRegisteredError, type ServiceLogs} from '../logs/service-logs.js';
import {checkInspector, SYSTEM_NAMESPACE} from './container-methods.js';
import {serverStreamMethod, unaryMethod, type LocalMethod} from './methods.js';
import {plainError} from './service-methods.js';
import type {ResponseStream} from './stream-sink.js';

/** Streams one container's log; throws RpcError (or a plain error) when it cannot. */
export type ContainerLogs = (request: LogsRequest, stream: ResponseStream<Data>, signal: AbortSignal) => Promise<void>;

/** Until a container runtime provides logs, no container is known. */
export const noContainerLogs: ContainerLogs = async (request) => {
  throw plainError(`container ${JSON.stringify(request.id)} not found`);
};

export function logMethods(serviceLogs: ServiceLogs, containerLogs: ContainerLogs = noContainerLogs): Array<[string, LocalMethod]> {
  return [
    serverStreamMethod(MachineServiceService.logs, async (request, {signal}, stream) => {
      if (request.namespace === SYSTEM_NAMESPACE || request.id === 'kubelet') {
        await streamServiceLog(serviceLogs, request, stream, signal);
        return;
      }
      checkInspector(request.namespace, request.driver);
      await containerLogs(request, stream, signal);
    }),
    unaryMethod(MachineServiceService.logsContainers, () => ({messages: [{ids: serviceLogs.ids()}]})),
  ];
}

async function streamServiceLog(serviceLogs: ServiceLogs, request: LogsRequest, stream: ResponseStream<Data>, signal: AbortSignal): Promise<void> {
  try {
    for await (const chunk of serviceLogs.read(request.id, {tailLines: request.tailLines, follow: request.follow, signal})) {
      await stream.send({bytes: chunk});
    }
  } catch (error) {
    if (error instanceof LogNotRegisteredError) throw plainError(error.message);
    throw error;
  }
}
