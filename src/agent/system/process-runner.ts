// Runs one instance of a service as a host process (Talos's process runner, and the task texts of
// its containerd runner for extension services). The process leads its own process group; stopping
// sends SIGTERM to the group and SIGKILL after the grace period, and once the leader has exited the
// rest of the group is killed, as a container's processes end with its init process, so nothing
// the service started outlives it.
import {spawn, type ChildProcess} from 'node:child_process';
import type {LogWriter} from '../logs/service-logs.js';
import {groupEmptied, killGroup, trackGroup, untrackGroup, type ProcessGroupRecords} from '../../machinery/process-groups.js';
import type {Runner, RunnerReporter} from './service.js';

/** Talos's graceful shutdown timeout before SIGKILL (runner/runner.go). */
export const GRACEFUL_STOP_MS = 10_000;

export interface ProcessRunnerOptions {
  /** The service id (task and container name in the `task` texts). */
  id: string;
  /** argv: the executable's path first. */
  args: readonly string[];
  /** argv[0] as the process sees it (default: args[0]). */
  argv0?: string;
  /** The whole environment of the process. */
  env: Record<string, string>;
  cwd?: string;
  /** stdout and stderr go here. */
  log: LogWriter;
  /** `process`: Talos's process runner texts; `task`: its containerd runner texts (extension services). */
  texts: 'process' | 'task';
  gracefulStopMs?: number;
  /** Where the process group is noted while it lives, so that an osd started after a killed one ends it. */
  groups?: ProcessGroupRecords;
}

export class ProcessRunner implements Runner {
  readonly name: string;
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private reporter?: RunnerReporter;
  /** stop() was called: the exit that follows is the end asked for, not a failure. */
  private stopping = false;
  private lastLine = '';
  private pending = '';

  constructor(private readonly options: ProcessRunnerOptions) {
    this.name = options.texts === 'task' ? `Containerd(${options.id})` : `Process(${goQuotedList(options.args)})`;
  }

  pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  run(reporter: RunnerReporter): Promise<void> {
    this.reporter = reporter;
    const {options} = this;
    return new Promise<void>((resolve, reject) => {
      const child = spawn(options.args[0], options.args.slice(1), {
        argv0: options.argv0 ?? options.args[0],
        cwd: options.cwd,
        env: options.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.child = child;
      if (child.pid !== undefined) {
        trackGroup(child.pid);
        options.groups?.record(child.pid, options.id);
      }
      const output = (chunk: Buffer): void => {
        options.log.write(chunk);
        this.rememberLastLine(chunk);
      };
      child.stdout!.on('data', output);
      child.stderr!.on('data', output);
      let started = false;
      child.once('spawn', () => {
        started = true;
        reporter.running(
          options.texts === 'task'
            ? `Started task ${options.id} (PID ${child.pid}) for container ${options.id}`
            : `Process ${this.name} started with PID ${child.pid}`,
        );
      });
      child.once('error', (error) => {
        if (!started) reject(new Error(`error starting process: ${error.message}`));
      });
      const closed = new Promise<void>((resolveClosed) => child.once('close', () => resolveClosed()));
      this.exited = new Promise<void>((exited) => {
        child.once('exit', (code, signal) => {
          // The leader is gone: end what it left behind in its group, and see it gone.
          const pgid = child.pid!;
          killGroup(pgid, 'SIGKILL');
          const groupGone = groupEmptied(pgid);
          void groupGone.then(() => {
            untrackGroup(pgid);
            options.groups?.forget(pgid);
            exited();
          });
          // The last output (for the failure text and the log) arrives with the pipes' end.
          void Promise.all([groupGone, Promise.race([closed, delay(OUTPUT_DRAIN_MS)])]).then(() => {
            if (this.stopping || code === 0) resolve();
            else reject(new Error(this.failure(code, signal)));
          });
        });
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || this.exited === undefined || this.pid() === undefined) return;
    this.stopping = true;
    const {id, texts} = this.options;
    const target = texts === 'task' ? `task ${id} (PID ${child.pid}, container ${id})` : this.name;
    this.reporter?.stopping(`Sending SIGTERM to ${target}`);
    killGroup(child.pid!, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.options.gracefulStopMs ?? GRACEFUL_STOP_MS);
    });
    const timedOut = await Promise.race([this.exited.then(() => false), graceOver]);
    clearTimeout(timer);
    if (timedOut) {
      this.reporter?.stopping(`Sending SIGKILL to ${target}`);
      killGroup(child.pid!, 'SIGKILL');
      await this.exited;
    }
  }

  private failure(code: number | null, signal: NodeJS.Signals | null): string {
    const status = code !== null ? `exit code ${code}` : `signal: ${GO_SIGNAL_NAMES[signal ?? ''] ?? signal}`;
    // Talos's containerd runner names the task and quotes the last line it logged.
    return this.options.texts === 'task'
      ? `task "${this.options.id}" failed: ${status} (last log ${JSON.stringify(this.lastLine)})`
      : status;
  }

  /** The last non-empty line of output, for `(last log "…")`; bounded, as a line may be endless. */
  private rememberLastLine(chunk: Buffer): void {
    const text = this.pending + chunk.toString('utf8');
    const lines = text.split('\n');
    this.pending = lines.pop()!.slice(-LAST_LINE_CHARS);
    const complete = lines.map((line) => line.replace(/\r$/, '')).filter((line) => line !== '');
    if (complete.length > 0) this.lastLine = complete[complete.length - 1].slice(-LAST_LINE_CHARS);
    else if (this.pending !== '') this.lastLine = this.pending;
  }
}

const LAST_LINE_CHARS = 512;
/** How long output may trail the exit before the run ends without it. */
const OUTPUT_DRAIN_MS = 200;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How Go's syscall.Signal prints the signals a service dies of. */
const GO_SIGNAL_NAMES: Record<string, string> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGINT: 'interrupt',
  SIGHUP: 'hangup',
  SIGQUIT: 'quit',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
  SIGPIPE: 'broken pipe',
  SIGUSR1: 'user defined signal 1',
  SIGUSR2: 'user defined signal 2',
};

/** Go's `%q` of a []string: `["/bin/x" "arg"]`. */
export function goQuotedList(values: readonly string[]): string {
  return `[${values.map((value) => JSON.stringify(value)).join(' ')}]`;
}
