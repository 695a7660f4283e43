// Talos's restart wrapper (runner/restart): runs instances one after another by policy, 5 s apart.
import type {RestartPolicy, Runner, RunnerReporter} from './service.js';

/** Talos's interval between runs. */
export const RESTART_INTERVAL_MS = 5000;

export class RestartRunner implements Runner {
  private current: Runner;
  private stopRequested = false;
  private wakeBackOff?: () => void;
  private loop?: Promise<void>;

  constructor(
    first: Runner,
    /** A fresh instance for each further run. */
    private readonly next: () => Runner | Promise<Runner>,
    private readonly policy: RestartPolicy,
    private readonly intervalMs = RESTART_INTERVAL_MS,
  ) {
    this.current = first;
  }

  /** Talos's texts name the wrapped runner. */
  get name(): string {
    return this.current.name;
  }

  pid(): number | undefined {
    return this.current.pid();
  }

  run(reporter: RunnerReporter): Promise<void> {
    this.loop = this.runLoop(reporter);
    return this.loop;
  }

  private async runLoop(reporter: RunnerReporter): Promise<void> {
    for (;;) {
      let failure: unknown;
      try {
        await this.current.run(reporter);
      } catch (error) {
        failure = error;
      }
      if (this.stopRequested) {
        if (failure !== undefined) throw failure;
        return;
      }
      const name = this.current.name;
      const reason = failure instanceof Error ? failure.message : String(failure);
      switch (this.policy) {
        case 'once':
          if (failure !== undefined) throw failure;
          return;
        case 'untilSuccess':
          if (failure === undefined) return;
          reporter.waiting(`Error running ${name}, going to restart until it succeeds: ${reason}`);
          break;
        case 'forever':
          reporter.waiting(
            failure === undefined
              ? `Runner ${name} exited without error, going to restart it`
              : `Error running ${name}, going to restart forever: ${reason}`,
          );
          break;
      }
      if (await this.backOff()) {
        reporter.stopping('Aborting restart sequence');
        return;
      }
      this.current = await this.next();
      if (this.stopRequested) {
        reporter.stopping('Aborting restart sequence');
        return;
      }
    }
  }

  /** Waits out the interval; true when a stop came first. */
  private backOff(): Promise<boolean> {
    if (this.stopRequested) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeBackOff = undefined;
        resolve(false);
      }, this.intervalMs);
      this.wakeBackOff = () => {
        clearTimeout(timer);
        this.wakeBackOff = undefined;
        resolve(true);
      };
    });
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.wakeBackOff !== undefined) this.wakeBackOff();
    else await this.current.stop();
    await this.loop?.catch(() => undefined);
  }
}
