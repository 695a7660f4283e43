// Runs a service inside osd (Talos's goroutine runner): `main` runs until its signal aborts.
import {GRACEFUL_STOP_MS} from './process-runner.js';
import type {Runner, RunnerReporter} from './service.js';

/** The body of an in-process service: resolves or rejects when it ends, and ends soon after `signal` aborts. */
export type InProcessMain = (signal: AbortSignal) => Promise<void>;

export class InProcessRunner implements Runner {
  readonly name: string;
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private reporter?: RunnerReporter;

  constructor(
    id: string,
    private readonly main: InProcessMain,
    private readonly stopTimeoutMs = GRACEFUL_STOP_MS,
  ) {
    this.name = `Goroutine(${JSON.stringify(id)})`;
  }

  pid(): undefined {
    return undefined;
  }

  run(reporter: RunnerReporter): Promise<void> {
    this.reporter = reporter;
    reporter.running('Service started as goroutine');
    const main = this.main(this.abort.signal).catch((error: unknown) => {
      // Ending because it was asked to is not a failure (Go: context.Canceled is cleared).
      if (!this.abort.signal.aborted) throw error;
    });
    // A body that ignores its signal is abandoned once stop() gives up on it.
    this.running = Promise.race([main, new Promise<void>((resolve) => (this.abandon = resolve))]);
    return this.running;
  }

  private abandon?: () => void;

  async stop(): Promise<void> {
    if (this.running === undefined) return;
    this.reporter?.stopping('Service stopping');
    this.abort.abort();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.running.then(
        () => false,
        () => false,
      ),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.reporter?.stopping("Service hasn't stopped gracefully on timeout, aborting");
      this.abandon?.();
    }
  }
}

/** Resolves once `signal` aborts: the body of a service that runs until it is stopped. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), {once: true});
  });
}
