// What the node-readout methods (files, processes, kernel counters, sockets, META, time) look at.
// A node's filesystem is its state folder; its processes are osd and its descendants, or the whole
// host when osd is the host's only agent (`osd --host-agent`). Machine-level readouts (memory,
// mounts, dmesg, CPU, load, disks, network devices) are always the host's: it is the node's kernel.
import type {MachineConfigDocument} from '../../machinery/machineconfig/types.js';
import type {ContainerRuntime} from '../cri/runtime.js';
import type {Logger} from '../log.js';
import type {ResourceStore} from '../store/store.js';
import type {ServiceProcess} from '../system/supervisor.js';

/** `node`: osd and its descendants (services, pods); `host`: every process on the host. */
export type ProcessScope = 'node' | 'host';

export interface NodeInside {
  /** The state folder, the node's `/`. */
  root: string;
  /** The node's IP address (osd's `--address`). */
  address: string;
  scope: ProcessScope;
  /** osd's own PID: the top of the node's process tree when scope is `node`. */
  pid: number;
  runtime: ContainerRuntime;
  /** The node's services that run a process (the supervisor's view, as `containers` lists them). */
  services: () => ServiceProcess[];
  store: ResourceStore;
  machineConfig: () => MachineConfigDocument;
  log: Logger;
}
