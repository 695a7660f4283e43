// The supervisor (Talos's internal/app/machined/pkg/system, talos-behaviour.md items 1–10): one run
// loop per service with Talos's states, event texts, dependency waits, health checks and restart
// policies, and the service API's start/stop/restart rules. A state is only ever reported for what
// really happened: Running comes from the runner once its process (or in-process body) is live.
import {RESTART_INTERVAL_MS, RestartRunner} from './restart-runner.js';
import type {Condition, HealthCheck, Runner, RunnerReporter, ServiceDefinition, ServiceState} from './service.js';

/** Talos keeps this many events per service (events.go). */
export const MAX_EVENTS = 64;
/** How often a Waiting service re-describes what it still waits for (Talos: 1 s). */
export const WAIT_DESCRIPTION_INTERVAL_MS = 1000;
/** How long shutdown waits for a service's dependents to stop before stopping it anyway (Talos: 30 s). */
export const SHUTDOWN_DEPENDENTS_TIMEOUT_MS = 30_000;

export interface ServiceEventRecord {
  message: string;
  state: ServiceState;
  timestamp: Date;
}

export interface HealthStatus {
  /** No health check, or none has completed yet. */
  unknown: boolean;
  healthy: boolean;
  lastMessage: string;
  /** When `healthy` last flipped; undefined is Go's zero time (services without a health check). */
  lastChange?: Date;
}

export interface ServiceSnapshot {
  id: string;
  state: ServiceState;
  /** Oldest first; events with an empty message are left out. */
  events: ServiceEventRecord[];
  health: HealthStatus;
}

/** What listeners hear: every state event and every health flip (as Talos publishes ServiceStateEvents). */
export interface ServiceChange {
  id: string;
  state: ServiceState;
  message: string;
  health: HealthStatus;
  timestamp: Date;
}

/** A service whose runner runs a host process (for `containers` and `restart`). */
export interface ServiceProcess {
  id: string;
  pid: number;
  status: 'RUNNING' | 'STOPPED';
  image: string;
}

/** A plain error of the service API (sent as gRPC Unknown with this text, as Talos's handlers do). */
export class ServiceApiError extends Error {}

export interface SupervisorOptions {
  /** Each event as a machined log line, `service[<id>](<State>): <message>`. */
  logLine?: (line: string) => void;
  restartIntervalMs?: number;
  waitDescriptionIntervalMs?: number;
  shutdownDependentsTimeoutMs?: number;
}

const SKIPPED = Symbol('service skipped');

interface ServiceEntry {
  definition: ServiceDefinition;
  state: ServiceState;
  events: ServiceEventRecord[];
  /** undefined: unknown. */
  healthy?: boolean;
  healthMessage: string;
  healthChanged?: Date;
  /** Set while the run loop is alive (Talos's "running": Starting through Stopping). */
  loop?: Promise<void>;
  abort?: AbortController;
  runner?: Runner;
}

export class Supervisor {
  private readonly entries = new Map<string, ServiceEntry>();
  private readonly listeners = new Set<(change: ServiceChange) => void>();
  /** Re-evaluated after every change: dependency waits and shutdown ordering. */
  private readonly watchers = new Set<() => void>();
  private terminating = false;
  private readonly restartIntervalMs: number;
  private readonly waitIntervalMs: number;
  private readonly shutdownTimeoutMs: number;

  constructor(private readonly options: SupervisorOptions = {}) {
    this.restartIntervalMs = options.restartIntervalMs ?? RESTART_INTERVAL_MS;
    this.waitIntervalMs = options.waitDescriptionIntervalMs ?? WAIT_DESCRIPTION_INTERVAL_MS;
    this.shutdownTimeoutMs = options.shutdownDependentsTimeoutMs ?? SHUTDOWN_DEPENDENTS_TIMEOUT_MS;
  }

  /** Adds a service (Initialized). A second definition with a known id is ignored, as Talos's Load does; false then. */
  register(definition: ServiceDefinition): boolean {
    if (this.terminating || this.entries.has(definition.id)) return false;
    this.entries.set(definition.id, {
      definition,
      state: 'Initialized',
      events: [],
      healthMessage: '',
    });
    this.notifyWatchers();
    return true;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Starts services that are not running (osd's own start-up; no API permission check). */
  start(...ids: string[]): void {
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (entry === undefined) throw new ServiceApiError(`service ${JSON.stringify(id)} not defined`);
      this.launch(entry);
    }
  }

  startAll(): void {
    this.start(...this.entries.keys());
  }

  /** Stops a service and waits until its run loop has ended. */
  async stop(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry !== undefined) await this.halt(entry);
  }

  /**
   * Records a state event for a service that is not running, as Talos's UpdateState does from
   * outside the run (etcd: `Finished`, `Bootstrap requested`, between its stop and its new start).
   */
  recordStopped(id: string, state: ServiceState, message: string): void {
    const entry = this.entries.get(id);
    if (entry !== undefined && entry.loop === undefined) this.record(entry, state, message);
  }

  isRunning(id: string): boolean {
    return this.entries.get(id)?.loop !== undefined;
  }

  // ---- the service API (talos-behaviour.md item 9) ----

  async apiStart(id: string): Promise<void> {
    const entry = this.lookup(id);
    if (entry.loop !== undefined) return;
    if (!entry.definition.api.start) throw unsupported(id, 'start');
    this.launch(entry);
  }

  async apiStop(id: string): Promise<void> {
    const entry = this.lookup(id);
    if (entry.loop === undefined) return;
    if (!entry.definition.api.stop) throw unsupported(id, 'stop');
    await this.halt(entry);
  }

  /** Stop, then start; returns once the new run has entered Starting. */
  async apiRestart(id: string): Promise<void> {
    const entry = this.lookup(id);
    if (entry.loop === undefined) return this.apiStart(id);
    if (!entry.definition.api.restart) throw unsupported(id, 'restart');
    await this.halt(entry);
    this.launch(entry);
  }

  // ---- views ----

  /** Every service, sorted by id in byte order. */
  list(): ServiceSnapshot[] {
    return [...this.entries.keys()].sort(byteOrder).map((id) => this.snapshot(this.entries.get(id)!));
  }

  get(id: string): ServiceSnapshot | undefined {
    const entry = this.entries.get(id);
    return entry === undefined ? undefined : this.snapshot(entry);
  }

  /** Services whose runner has a live process right now. */
  processes(): ServiceProcess[] {
    const result: ServiceProcess[] = [];
    for (const id of [...this.entries.keys()].sort(byteOrder)) {
      const entry = this.entries.get(id)!;
      const pid = entry.runner?.pid();
      if (pid !== undefined) result.push({id, pid, status: 'RUNNING', image: entry.definition.image ?? ''});
    }
    return result;
  }

  /** Calls `listener` with every state event and health flip; returns the unsubscribe function. */
  onChange(listener: (change: ServiceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Stops every service, each once the services that depend on it have stopped (at most 30 s),
   * and waits for all run loops to end. No service starts afterwards.
   */
  async shutdown(): Promise<void> {
    this.terminating = true;
    const dependents = new Map<string, string[]>();
    for (const entry of this.entries.values()) {
      for (const dependency of entry.definition.dependsOn) {
        dependents.set(dependency, [...(dependents.get(dependency) ?? []), entry.definition.id]);
      }
    }
    const deadline = AbortSignal.timeout(this.shutdownTimeoutMs);
    await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        const waitingFor = dependents.get(entry.definition.id) ?? [];
        // Only a Running service can be in use by its dependents; one that never got there (say, two
        // services waiting for each other) stops at once instead of waiting out the timeout.
        const dependentsStopped = (): boolean => entry.state !== 'Running' || waitingFor.every((id) => !this.isRunning(id));
        await this.waitUntil(dependentsStopped, deadline).catch(() => {
          this.options.logLine?.(`gave up on ${waitingFor.join(', ')} while stopping "${entry.definition.id}"`);
        });
        await this.halt(entry);
      }),
    );
  }

  // ---- the run loop ----

  private lookup(id: string): ServiceEntry {
    const entry = this.entries.get(id);
    if (entry === undefined) throw new ServiceApiError(`service ${JSON.stringify(id)} not defined`);
    return entry;
  }

  /** Starts the run loop unless it is alive; the Starting event is recorded before this returns. */
  private launch(entry: ServiceEntry): void {
    if (this.terminating || entry.loop !== undefined) return;
    const abort = new AbortController();
    entry.abort = abort;
    const run = this.runOnce(entry, abort.signal);
    entry.loop = run.then(
      () => this.record(entry, 'Finished', 'Service finished successfully'),
      (error: unknown) => {
        if (error === SKIPPED) this.record(entry, 'Skipped', 'Service skipped');
        else this.record(entry, 'Failed', capitalize(messageOf(error)));
      },
    );
    void entry.loop.finally(() => {
      entry.loop = undefined;
      entry.abort = undefined;
      entry.runner = undefined;
      this.notifyWatchers();
    });
  }

  private async halt(entry: ServiceEntry): Promise<void> {
    const loop = entry.loop;
    if (loop === undefined) return;
    entry.abort?.abort();
    await loop;
  }

  private async runOnce(entry: ServiceEntry, signal: AbortSignal): Promise<void> {
    const {definition} = entry;
    this.record(entry, 'Starting', 'Starting service');
    const conditions = [...definition.dependsOn.map((id) => this.serviceUp(id)), ...(definition.conditions ?? [])];
    if (conditions.length > 0) {
      try {
        await this.waitFor(entry, conditions, signal);
      } catch (error) {
        throw new Error(`condition failed: ${messageOf(error)}`);
      }
    }
    this.record(entry, 'Preparing', 'Running pre state');
    try {
      const report = (message: string): void => {
        if (!signal.aborted) this.record(entry, 'Preparing', message);
      };
      if (definition.pre !== undefined) await untilAborted(definition.pre(signal, report), signal);
    } catch (error) {
      throw new Error(`failed to run pre stage: ${messageOf(error)}`);
    }
    this.record(entry, 'Preparing', 'Creating service runner');
    if ((await definition.skip?.()) === true) throw SKIPPED;
    let runner: RestartRunner;
    try {
      runner = new RestartRunner(await definition.createRunner(), () => definition.createRunner(), definition.restart, this.restartIntervalMs);
    } catch (error) {
      throw new Error(`failed to create runner: ${messageOf(error)}`);
    }
    // Stopped while preparing: nothing was started, so nothing needs stopping.
    if (signal.aborted) return;
    entry.runner = runner;
    try {
      await this.runRunner(entry, runner, signal);
    } catch (error) {
      throw new Error(`failed running service: ${messageOf(error)}`);
    }
  }

  private async runRunner(entry: ServiceEntry, runner: Runner, signal: AbortSignal): Promise<void> {
    const health = entry.definition.health;
    const reporter: RunnerReporter = {
      running: (message) => this.record(entry, 'Running', message),
      stopping: (message) => this.recordNotRunning(entry, 'Stopping', message),
      waiting: (message) => this.recordNotRunning(entry, 'Waiting', message),
    };
    // Checks end when a stop is asked for (Talos runs them under the service's context) or the run ends.
    const checks = new AbortController();
    const endChecks = (): void => checks.abort();
    signal.addEventListener('abort', endChecks, {once: true});
    if (health !== undefined) void this.healthLoop(entry, health, checks.signal);
    try {
      const running = runner.run(reporter).then(
        () => ({ended: true as const}),
        (error: unknown) => ({ended: true as const, error}),
      );
      const outcome = await Promise.race([running, aborted(signal).then(() => ({ended: false as const}))]);
      if (!outcome.ended) {
        await runner.stop();
        await running;
        return;
      }
      if ('error' in outcome) throw new Error(`error running service: ${messageOf(outcome.error)}`);
    } finally {
      signal.removeEventListener('abort', endChecks);
      checks.abort();
    }
  }

  /** Talos's conditions.WaitForAll with the supervisor's re-description every second. */
  private async waitFor(entry: ServiceEntry, conditions: readonly Condition[], signal: AbortSignal): Promise<void> {
    const pending = new Set(conditions);
    const describe = (): string => [...pending].map((condition) => condition.describe()).join(', ');
    let description = describe();
    this.record(entry, 'Waiting', `Waiting for ${description}`);
    const timer = setInterval(() => {
      const current = describe();
      if (current !== description && current !== '') {
        description = current;
        this.record(entry, 'Waiting', `Waiting for ${description}`);
      }
    }, this.waitIntervalMs);
    // One failed condition ends the others' waits too.
    const local = new AbortController();
    const forward = (): void => local.abort();
    signal.addEventListener('abort', forward, {once: true});
    try {
      await Promise.all(conditions.map((condition) => condition.wait(local.signal).then(() => pending.delete(condition))));
    } finally {
      clearInterval(timer);
      signal.removeEventListener('abort', forward);
      local.abort();
    }
  }

  /** The dependency condition: `service "<id>" to be "up"`, or `… to be registered` while unknown. */
  private serviceUp(id: string): Condition {
    return {
      describe: () => (this.entries.has(id) ? `service "${id}" to be "up"` : `service "${id}" to be registered`),
      wait: (signal) => this.waitUntil(() => this.isUp(id), signal),
    };
  }

  /** Skipped or Finished, or Running and (without health check, or healthy). */
  private isUp(id: string): boolean {
    const entry = this.entries.get(id);
    if (entry === undefined) return false;
    switch (entry.state) {
      case 'Skipped':
      case 'Finished':
        return true;
      case 'Running':
        return entry.definition.health === undefined || entry.healthy === true;
      default:
        return false;
    }
  }

  /** Resolves once `predicate` holds (checked after every change); rejects `context canceled` when `signal` aborts. */
  private waitUntil(predicate: () => boolean, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.watchers.delete(check);
        signal.removeEventListener('abort', cancel);
      };
      const check = (): void => {
        if (!predicate()) return;
        done();
        resolve();
      };
      const cancel = (): void => {
        done();
        reject(new Error(signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError' ? 'context deadline exceeded' : 'context canceled'));
      };
      if (signal.aborted) return cancel();
      this.watchers.add(check);
      signal.addEventListener('abort', cancel, {once: true});
      check();
    });
  }

  private async healthLoop(entry: ServiceEntry, health: HealthCheck, signal: AbortSignal): Promise<void> {
    entry.healthy = undefined;
    entry.healthMessage = 'Unknown';
    entry.healthChanged = new Date();
    const {initialDelayMs, periodMs, timeoutMs} = health.settings;
    if (!(await sleep(initialDelayMs, signal))) return;
    do {
      const result = await checkWithTimeout(health, timeoutMs, signal);
      if (signal.aborted) return;
      this.healthUpdate(entry, result === undefined, result ?? '');
    } while (await sleep(periodMs, signal));
  }

  private healthUpdate(entry: ServiceEntry, healthy: boolean, message: string): void {
    const flipped = entry.healthy !== healthy;
    entry.healthMessage = message;
    if (!flipped) return;
    entry.healthy = healthy;
    entry.healthChanged = new Date();
    // Talos records the flip as an event only while Running.
    if (entry.state === 'Running') {
      this.push(entry, 'Running', healthy ? 'Health check successful' : `Health check failed: ${message}`);
    } else {
      this.notifyWatchers();
    }
  }

  /** A runner-reported state other than Running: a health-checked service is then not healthy. */
  private recordNotRunning(entry: ServiceEntry, state: ServiceState, message: string): void {
    this.record(entry, state, message);
    if (entry.definition.health !== undefined) this.healthUpdate(entry, false, 'service not running');
  }

  private record(entry: ServiceEntry, state: ServiceState, message: string): void {
    entry.state = state;
    this.push(entry, state, message);
  }

  private push(entry: ServiceEntry, state: ServiceState, message: string): void {
    const event = {message, state, timestamp: new Date()};
    entry.events.push(event);
    if (entry.events.length > MAX_EVENTS) entry.events.shift();
    const {id} = entry.definition;
    this.options.logLine?.(`service[${id}](${state}): ${message}`);
    this.notifyWatchers();
    const change: ServiceChange = {id, state, message, health: this.healthOf(entry), timestamp: event.timestamp};
    for (const listener of [...this.listeners]) listener(change);
  }

  private notifyWatchers(): void {
    for (const watcher of [...this.watchers]) watcher();
  }

  private snapshot(entry: ServiceEntry): ServiceSnapshot {
    return {
      id: entry.definition.id,
      state: entry.state,
      events: entry.events.filter((event) => event.message !== '').map((event) => ({...event})),
      health: this.healthOf(entry),
    };
  }

  private healthOf(entry: ServiceEntry): HealthStatus {
    if (entry.definition.health === undefined) return {unknown: true, healthy: false, lastMessage: ''};
    // Before the first run the health check has not started: Talos shows its zero state.
    if (entry.healthChanged === undefined) return {unknown: true, healthy: false, lastMessage: ''};
    return {
      unknown: entry.healthy === undefined,
      healthy: entry.healthy === true,
      lastMessage: entry.healthMessage,
      lastChange: entry.healthChanged,
    };
  }
}

/** Runs one check within `timeoutMs`; undefined when healthy, else the message to show. */
async function checkWithTimeout(health: HealthCheck, timeoutMs: number, signal: AbortSignal): Promise<string | undefined> {
  const timeout = new AbortController();
  const stop = (): void => timeout.abort();
  signal.addEventListener('abort', stop, {once: true});
  let timer: NodeJS.Timeout | undefined;
  try {
    const expired = new Promise<string>((resolve) => {
      timer = setTimeout(() => {
        timeout.abort();
        resolve('context deadline exceeded');
      }, timeoutMs);
    });
    return await Promise.race([
      health.check(timeout.signal).then(
        () => undefined,
        (error: unknown) => messageOf(error),
      ),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', stop);
  }
}

/** Waits `ms`; false when `signal` aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', cancel);
      resolve(true);
    }, ms);
    const cancel = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', cancel, {once: true});
  });
}

/** `work`, or a `context canceled` rejection as soon as `signal` aborts (the work is then left to end on its own). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined);
  return Promise.race([work, aborted(signal).then(() => Promise.reject(new Error('context canceled')))]);
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), {once: true});
  });
}

function unsupported(id: string, operation: 'start' | 'stop' | 'restart'): ServiceApiError {
  return new ServiceApiError(`service "${id}" doesn't support ${operation} operation via API`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Talos upper-cases the first letter of a failure (`Failed running service: …`). */
function capitalize(text: string): string {
  return text === '' ? text : text[0].toUpperCase() + text.slice(1);
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

