// The contract between the supervisor and the services it runs (Talos's
// internal/app/machined/pkg/system model, talos-behaviour.md part (a) items 1–10).
// The supervisor owns states, events, health, restart policy and the API; a service only says
// what it needs, how to run one instance of itself and how to check its health.

/** Talos's state strings; ServiceStateEvent.action numbers are in STATE_ACTIONS. */
export type ServiceState =
  | 'Initialized'
  | 'Starting'
  | 'Waiting'
  | 'Preparing'
  | 'Running'
  | 'Stopping'
  | 'Finished'
  | 'Failed'
  | 'Skipped';

export const STATE_ACTIONS: Readonly<Record<ServiceState, number>> = {
  Initialized: 0,
  Preparing: 1,
  Waiting: 2,
  Running: 3,
  Stopping: 4,
  Finished: 5,
  Failed: 6,
  Skipped: 7,
  Starting: 8,
};

/** What the service API may do to a service (kubelet: start and restart; `ext-*`: all three). */
export interface ApiActions {
  start: boolean;
  stop: boolean;
  restart: boolean;
}

/** Talos's restart policies: `always` → forever, `never` → once, `untilSuccess`. */
export type RestartPolicy = 'forever' | 'once' | 'untilSuccess';

/** A condition the service waits for besides other services (a path, the network, the config). */
export interface Condition {
  /** As Talos words it inside `Waiting for <conditions>`, e.g. `network`, `path "/x" to exist`. */
  describe(): string;
  /** Resolves once the condition holds; rejects when aborted. */
  wait(signal: AbortSignal): Promise<void>;
}

export interface HealthSettings {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
}

export interface HealthCheck {
  settings: HealthSettings;
  /** Resolves when healthy; rejects with the message to show when not. Must honour `signal` (the timeout). */
  check(signal: AbortSignal): Promise<void>;
}

/** Where a running instance reports what Talos's runners report as events. */
export interface RunnerReporter {
  /** A Running event with the runner's own text, e.g. `Process Process(["/bin/x" "arg"]) started with PID 42`. */
  running(message: string): void;
  /** A Stopping event, e.g. `Sending SIGTERM to Process(["/bin/x"])` (runners that stop in steps). */
  stopping(message: string): void;
  /** A Waiting event (the restart wrapper's back-off texts). */
  waiting(message: string): void;
}

/**
 * One instance of a service. `run` resolves when the instance ends successfully and rejects with
 * the error Talos would show (e.g. `exit code 1`) otherwise; `stop` ends it (SIGTERM to the
 * process group, SIGKILL after 10 s) and resolves once it has ended.
 */
export interface Runner {
  /** The runner's name in event texts, e.g. `Process(["/bin/x" "arg"])` or `Goroutine(machined)`. */
  readonly name: string;
  run(reporter: RunnerReporter): Promise<void>;
  stop(): Promise<void>;
  /** The process it runs, while it runs one (for `containers`, `restart`, `processes`). */
  pid(): number | undefined;
}

export interface ServiceDefinition {
  id: string;
  /** Services that must be "up" first: Running and healthy (or without health check), Finished, or Skipped. */
  dependsOn: readonly string[];
  conditions?: readonly Condition[];
  /**
   * Talos's pre state (`Running pre state`); a rejection fails the service. `signal` aborts when a
   * stop is asked for; the supervisor then stops waiting for it (`Failed to run pre stage: context canceled`).
   * `report` records a Preparing event (a step of a long pre state, e.g. etcd joining its cluster).
   */
  pre?(signal: AbortSignal, report: (message: string) => void): Promise<void>;
  /** Resolving true skips the service (`Skipped: Service skipped`). */
  skip?(): Promise<boolean>;
  /** A fresh runner for each run. */
  createRunner(): Runner | Promise<Runner>;
  restart: RestartPolicy;
  health?: HealthCheck;
  api: ApiActions;
  /** The image shown by `containers` for services that run a process (empty when none). */
  image?: string;
}
