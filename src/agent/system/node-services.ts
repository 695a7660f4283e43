// A node's services as startNode sets them up: the supervisor, the service logs (osd's own lines
// as `controller-runtime`, supervisor events as `machined`'s, as Talos logs them), the runtime
// events, the Services resources, and the services themselves: apid, machined, the extension
// services of the state dir, and whatever else the node adds (kubelet).
import type {MachineConfigDocument} from '../../machinery/machineconfig/types.js';
import {RuntimeEvents} from '../events/runtime-events.js';
import {teeLogger, type Logger} from '../log.js';
import {ServiceLogs} from '../logs/service-logs.js';
import {statePaths} from '../state-dir.js';
import {serviceStateEvent} from '../server/service-methods.js';
import type {ResourceStore} from '../store/store.js';
import {apidService, machinedService, type ApiServerState} from './core-services.js';
import {loadExtensionServices} from './extension-services.js';
import {endLeftoverGroups, ProcessGroupRecords} from '../../machinery/process-groups.js';
import type {ServiceDefinition} from './service.js';
import {publishServices} from './service-resources.js';
import {Supervisor} from './supervisor.js';

export interface NodeServicesStart {
  store: ResourceStore;
  /** The node's state dir (extension services live under it). */
  stateRoot: string;
  apiServer: ApiServerState;
  log: Logger;
  machineConfig: () => MachineConfigDocument;
  /** Further services of the node, started with the others. */
  more?: readonly ServiceDefinition[];
}

export class NodeServices {
  readonly serviceLogs = new ServiceLogs();
  readonly events = new RuntimeEvents();
  readonly supervisor: Supervisor;
  private stopPublishing?: () => void;

  constructor() {
    const machinedLog = this.serviceLogs.writer('machined');
    this.supervisor = new Supervisor({logLine: (line) => machinedLog.write(`${goLogTimestamp(new Date())} ${line}\n`)});
    this.supervisor.onChange((change) => this.events.publish('machine.ServiceStateEvent', serviceStateEvent(change)));
  }

  /** `log`, also writing into the `controller-runtime` service log. */
  withServiceLog(log: Logger): Logger {
    return teeLogger(log, this.serviceLogs.writer('controller-runtime'));
  }

  /** Registers and starts the services; call once the API serves (`apid` is Running only while it listens). */
  async start(options: NodeServicesStart): Promise<void> {
    this.stopPublishing = publishServices(options.store, this.supervisor);
    // An osd that was killed left its services' process groups running: end them before starting anew.
    const groups = new ProcessGroupRecords(statePaths(options.stateRoot).serviceGroups);
    await endLeftoverGroups(groups, 'service', (message) => options.log.warn(message));
    const extensions = await loadExtensionServices({
      groups,
      stateRoot: options.stateRoot,
      serviceLogs: this.serviceLogs,
      warn: (message) => options.log.warn(message),
      machineConfig: options.machineConfig,
    });
    for (const definition of [apidService(options.apiServer), machinedService(), ...extensions, ...(options.more ?? [])]) {
      this.supervisor.register(definition);
    }
    this.supervisor.startAll();
  }

  /** Stops every service (dependents first); no service process outlives this. */
  async stop(): Promise<void> {
    await this.supervisor.shutdown();
    this.stopPublishing?.();
  }
}

/** Go's log timestamp as machined writes it: local time, `2006/01/02 15:04:05.000000`. */
export function goLogTimestamp(date: Date): string {
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return (
    `${date.getFullYear()}/${pad(date.getMonth() + 1)}/${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds() * 1000, 6)}`
  );
}
