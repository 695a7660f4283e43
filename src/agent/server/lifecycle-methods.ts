// Reboot, Reset and Shutdown (talos-api.md §3.8, talos-behaviour.md (b) items 17–20). Each checks
// its request, hands the action to the node's control (main.ts carries it out) and answers at
// once with the action's actor id, as Talos does; the work goes on after the answer.
import {randomUUID} from 'node:crypto';
import {
  MachineServiceService,
  MachineStatusEvent,
  MachineStatusEvent_MachineStage,
  SequenceEvent,
  SequenceEvent_Action,
} from '../../machinery/api/machine/machine.js';
import type {EtcdAccess} from '../etcd/access.js';
import {leaveCluster} from '../etcd/membership.js';
import type {RuntimeEvents} from '../events/runtime-events.js';
import type {NodeControl, LifecycleAction, LifecycleKind} from '../lifecycle/control.js';
import {resetPlan} from '../lifecycle/reset-plan.js';
import {wipeEphemeral, wipeMeta} from '../lifecycle/wipe.js';
import type {Logger} from '../log.js';
import {unaryMethod, type LocalMethod} from './methods.js';

export interface LifecycleMethodsContext {
  control: NodeControl;
  /** The node's state folder: its filesystem. */
  root: string;
  /** `controlplane`, `init`, `worker`, or undefined. */
  machineType: () => string | undefined;
  events: RuntimeEvents;
  log: Logger;
}

/** How long a graceful reset may take to leave etcd: Talos waits 3 min for the member id, then retries removal for 5 min. */
const LEAVE_ETCD_LIMIT_MS = 8 * 60_000;

const STAGES: Record<LifecycleKind, MachineStatusEvent_MachineStage> = {
  reboot: MachineStatusEvent_MachineStage.REBOOTING,
  reset: MachineStatusEvent_MachineStage.RESETTING,
  shutdown: MachineStatusEvent_MachineStage.SHUTTING_DOWN,
};

export function lifecycleMethods(context: LifecycleMethodsContext, etcd?: EtcdAccess): Array<[string, LocalMethod]> {
  /** Hands the action over and tells the node's event watchers, with the actor id. */
  const begin = (action: LifecycleAction): string => {
    context.control.request(action);
    context.events.setActor(action.actorId);
    context.events.publish('machine.SequenceEvent', SequenceEvent.encode({sequence: action.kind, action: SequenceEvent_Action.START}).finish());
    context.events.publish('machine.MachineStatusEvent', MachineStatusEvent.encode({stage: STAGES[action.kind], status: {ready: false, unmetConditions: []}}).finish());
    context.log.info(`${action.kind} requested (actor ${action.actorId})`);
    return action.actorId;
  };

  return [
    // Every mode (DEFAULT, POWERCYCLE, FORCE) restarts osd's runtime the same way: there is no kexec or firmware to skip.
    unaryMethod(MachineServiceService.reboot, () => ({
      messages: [{actorId: begin({kind: 'reboot', actorId: randomUUID(), restart: true})}],
    })),
    // force skips cordon and drain on Talos; osd has neither, so both shut down alike.
    unaryMethod(MachineServiceService.shutdown, () => ({
      messages: [{actorId: begin({kind: 'shutdown', actorId: randomUUID(), restart: false})}],
    })),
    unaryMethod(MachineServiceService.reset, (request) => {
      const plan = resetPlan(request);
      const type = context.machineType();
      const leavesEtcd = request.graceful && (type === 'controlplane' || type === 'init');
      const actorId = randomUUID();
      const action: LifecycleAction = {
        kind: 'reset',
        actorId,
        restart: request.reboot,
        beforeStop: leavesEtcd
          ? async () => {
              if (etcd === undefined) {
                context.log.warn('graceful reset: this node runs no etcd service, so there is no member to remove');
                return;
              }
              await leaveCluster(etcd, AbortSignal.timeout(LEAVE_ETCD_LIMIT_MS));
            }
          : undefined,
        afterStop: async () => {
          if (plan.wipeEphemeral) {
            const mountPoints = await wipeEphemeral(context.root);
            for (const mountPoint of mountPoints) context.log.warn(`reset: ${mountPoint} is a mount point: what is mounted there was left as it is`);
            context.log.info('reset: EPHEMERAL wiped (var)');
          }
          if (plan.wipeMeta) {
            await wipeMeta(context.root);
            context.log.info('reset: META wiped');
          }
        },
      };
      return {messages: [{actorId: begin(action)}]};
    }),
  ];
}
