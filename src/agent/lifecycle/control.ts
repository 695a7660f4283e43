// Reboot, Reset and Shutdown between the API and the osd process. The methods only ask; main.ts
// owns the node runtime, so it carries the action out: it stops the running node (every service,
// container and the API), runs what the action does with the node down (a wipe), then starts the
// runtime again in the same process (reboot) or exits (shutdown). One action at a time, as Talos
// runs one sequence at a time.
import {status} from '@grpc/grpc-js';
import {RpcError} from '../server/rpc-error.js';

export type LifecycleKind = 'reboot' | 'reset' | 'shutdown';

export interface LifecycleAction {
  kind: LifecycleKind;
  /** The UUID the API returned; the events of the action carry it. */
  actorId: string;
  /** After the node has stopped: start it again (true) or end osd. */
  restart: boolean;
  /** Runs while the node still runs (a graceful reset leaves etcd here); its failure cancels the action. */
  beforeStop?: () => Promise<void>;
  /** Runs once every service has stopped and before the runtime starts again (the wipe). */
  afterStop?: () => Promise<void>;
}

/** What `ing` form an action in progress is described with. */
const IN_PROGRESS: Record<LifecycleKind, string> = {reboot: 'rebooting', reset: 'resetting', shutdown: 'shutting down'};

export class NodeControl {
  private current?: LifecycleAction;
  private queued?: LifecycleAction;
  private wake?: (action: LifecycleAction) => void;

  /** Asks for an action; refused (FailedPrecondition) while another one runs. */
  request(action: LifecycleAction): void {
    if (this.current !== undefined) {
      throw new RpcError(status.FAILED_PRECONDITION, `${action.kind} is not possible now: the node is already ${IN_PROGRESS[this.current.kind]} (actor ${this.current.actorId})`);
    }
    this.current = action;
    if (this.wake !== undefined) {
      const wake = this.wake;
      this.wake = undefined;
      wake(action);
    } else {
      this.queued = action;
    }
  }

  /** The next action asked for (main.ts waits on it while the node runs). */
  next(): Promise<LifecycleAction> {
    if (this.queued !== undefined) {
      const action = this.queued;
      this.queued = undefined;
      return Promise.resolve(action);
    }
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** The action has ended (the node runs again, or it failed before stopping anything): new ones may be asked for. */
  done(): void {
    this.current = undefined;
  }

  /** The action in progress, if any. */
  inProgress(): LifecycleAction | undefined {
    return this.current;
  }
}
