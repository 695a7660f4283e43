// ServiceList, ServiceStart, ServiceStop, ServiceRestart (talos-api.md §3.4, talos-behaviour.md
// item 9): the supervisor's view and API rules; its errors are plain, so they leave as Unknown.
import {status} from '@grpc/grpc-js';
import {MachineServiceService, ServiceStateEvent, type ServiceHealth, type ServiceInfo} from '../../machinery/api/machine/machine.js';
import {STATE_ACTIONS} from '../system/service.js';
import {ServiceApiError, type HealthStatus, type ServiceChange, type ServiceSnapshot, type Supervisor} from '../system/supervisor.js';
import {unaryMethod, type LocalMethod} from './methods.js';
import {RpcError} from './rpc-error.js';

/** Go's zero time.Time as a Timestamp (seconds −62135596800), for services without a health check. */
export const GO_ZERO_TIME = new Date(-62135596800_000);

export function serviceMethods(supervisor: Supervisor): Array<[string, LocalMethod]> {
  return [
    unaryMethod(MachineServiceService.serviceList, () => ({messages: [{services: supervisor.list().map(serviceInfo)}]})),
    unaryMethod(MachineServiceService.serviceStart, async ({id}) => {
      await plain(supervisor.apiStart(id));
      return {messages: [{resp: `Service "${id}" started`}]};
    }),
    unaryMethod(MachineServiceService.serviceStop, async ({id}) => {
      await plain(supervisor.apiStop(id));
      return {messages: [{resp: `Service "${id}" stopped`}]};
    }),
    unaryMethod(MachineServiceService.serviceRestart, async ({id}) => {
      await plain(supervisor.apiRestart(id));
      return {messages: [{resp: `Service "${id}" restarted`}]};
    }),
  ];
}

export function serviceInfo(service: ServiceSnapshot): ServiceInfo {
  return {
    id: service.id,
    state: service.state,
    events: {events: service.events.map((event) => ({msg: event.message, state: event.state, ts: event.timestamp}))},
    health: serviceHealth(service.health),
  };
}

export function serviceHealth(health: HealthStatus): ServiceHealth {
  return {
    unknown: health.unknown,
    healthy: health.healthy,
    lastMessage: health.lastMessage,
    lastChange: health.lastChange ?? GO_ZERO_TIME,
  };
}

/** A supervisor event as the Events RPC carries it (`talos/runtime/machine.ServiceStateEvent`). */
export function serviceStateEvent(change: ServiceChange): Uint8Array {
  return ServiceStateEvent.encode({
    service: change.id,
    action: STATE_ACTIONS[change.state],
    message: change.message,
    health: serviceHealth(change.health),
  }).finish();
}

/** A Go handler's non-status error: the client sees code Unknown with the text. */
export function plainError(text: string): RpcError {
  return new RpcError(status.UNKNOWN, text);
}

async function plain(action: Promise<void>): Promise<void> {
  try {
    await action;
  } catch (error) {
    if (error instanceof ServiceApiError) throw plainError(error.message);
    throw error;
  }
}
