// The osd process: `osd --state-dir <dir> --address <ip> [--port 50000] [--discovery-dir <dir>] [--host-agent]`.
// --host-agent: osd is the host's only agent, so process readouts show every process of the host.
// Importing this module runs the agent (bin/osd.js does exactly that).
import {parseArgs} from 'node:util';
import {createLogger, type Logger} from './log.js';
import {canonicalIp} from './net.js';
import type {LifecycleAction} from './lifecycle/control.js';
import type {RunningNode} from './node.js';
import {statePaths} from './state-dir.js';

const USAGE = 'usage: osd --state-dir <dir> --address <ip> [--port 50000] [--discovery-dir <dir>] [--host-agent]';

interface Arguments {
  stateDir: string;
  address: string;
  /** Unset: node.ts's DEFAULT_PORT. */
  port?: number;
  discoveryDir?: string;
  hostAgent: boolean;
}

function parseArguments(argv: string[]): Arguments {
  const {values} = parseArgs({
    args: argv,
    options: {
      'state-dir': {type: 'string'},
      address: {type: 'string'},
      port: {type: 'string'},
      'discovery-dir': {type: 'string'},
      'host-agent': {type: 'boolean'},
    },
    strict: true,
    allowPositionals: false,
  });
  const stateDir = values['state-dir'];
  const address = values.address;
  if (stateDir === undefined || stateDir === '') throw new UsageError('--state-dir is required');
  if (address === undefined || canonicalIp(address) === undefined) {
    throw new UsageError(`--address must be the node's IP address (got ${address === undefined ? 'nothing' : JSON.stringify(address)})`);
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new UsageError(`--port must be a TCP port number from 1 to 65535 (got ${JSON.stringify(values.port)})`);
  }
  return {stateDir, address, port, discoveryDir: values['discovery-dir'], hostAgent: values['host-agent'] === true};
}

class UsageError extends Error {}
/** A start-up failure the operator fixes; its message is the whole report (no stack). */
class StartFailure extends Error {}

/** Signals that stop osd cleanly: SIGHUP too, as when the terminal that started osd goes away. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
/** How long a stop waits for a start in progress before osd exits without a clean shutdown. */
const START_WAIT_MS = 30_000;

async function main(argv: string[]): Promise<void> {
  let args: Arguments;
  try {
    args = parseArguments(argv);
  } catch (error) {
    process.stderr.write(`osd: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }

  const log = createLogger({file: statePaths(args.stateDir).log, stderr: true});
  // Handlers before anything starts: a signal during start-up (the heavy modules load, the node
  // starts) must not take the kernel's default action and leave services and pods running.
  const lifecycle = new Lifecycle(log);
  for (const signal of STOP_SIGNALS) process.on(signal, (name: NodeJS.Signals) => lifecycle.stop(name));
  log.info(`osd starting (PID ${process.pid}, state dir ${args.stateDir})`);
  const {NodeControl} = await import('./lifecycle/control.js');
  // A Reset's wipe that an earlier osd could not finish (it was killed) is finished before the node starts.
  const {finishInterruptedWipe} = await import('./lifecycle/wipe.js');
  await finishInterruptedWipe(args.stateDir).then(
    (mountPoints) => {
      for (const mountPoint of mountPoints) log.warn(`reset: ${mountPoint} is a mount point: what is mounted there was left as it is`);
    },
    (error: Error) => log.error(`cannot finish the wipe an earlier osd began: ${error.message}`),
  );
  // Reboot, Reset and Shutdown come through here; a reboot starts the node's runtime again in this
  // process, so the PID (which `osctl cluster destroy` knows) stays the same.
  const control = new NodeControl();
  for (let boot = 1; ; boot++) {
    const node = await lifecycle.start(async () => {
      const {DEFAULT_PORT, NodeSetupError, startNode} = await import('./node.js');
      return startNode({...args, port: args.port ?? DEFAULT_PORT, log, control}).catch((error: Error) => {
        throw error instanceof NodeSetupError ? new StartFailure(error.message) : error;
      });
    });
    if (node === undefined) return;
    if (boot === 1) process.stdout.write(`osd listening on ${args.address}:${node.port}\n`);
    else log.info(`node runtime started again (boot ${boot})`);
    for (;;) {
      const action = await control.next();
      const outcome = await lifecycle.carryOut(node, action);
      if (outcome === 'stopped') return;
      if (outcome === 'restart') {
        // Done once the node is down: the new runtime's API may take an action as soon as it serves, before startNode returns.
        control.done();
        break;
      }
      if (outcome === 'exit') return lifecycle.exit(0, 'info', `${action.kind} (actor ${action.actorId}): stopped`);
      // The action failed before anything stopped: the node keeps running, its events no longer on the action's behalf.
      node.events.setActor('');
      control.done();
    }
  }
}

/** How an action ended: the runtime starts again, osd exits, a signal took over, or it failed with the node still running. */
type Outcome = 'restart' | 'exit' | 'stopped' | 'failed';

/**
 * osd from start to exit: a stop asked for while the node starts waits for the start, then stops
 * what started; one asked for while a Reboot or Reset has the node down waits for that, then exits.
 */
class Lifecycle {
  /** A start or an action's stop (and wipe) in progress. */
  private transition?: Promise<unknown>;
  /** The node while it runs. */
  private running?: RunningNode;
  private started = false;
  private stopping = false;

  constructor(private readonly log: Logger) {}

  /** Starts the node; undefined when a stop came meanwhile (the stop then stops it). Exits 1 when the start fails. */
  start(startNode: () => Promise<RunningNode>): Promise<RunningNode | undefined> {
    const starting = (async () => {
      try {
        const node = await startNode();
        this.started = true;
        this.running = node;
        return node;
      } catch (error) {
        const message = error instanceof StartFailure ? error.message : ((error as Error).stack ?? String(error));
        return this.exit(1, 'error', this.stopping ? `start-up failed while stopping: ${message}` : message);
      }
    })();
    this.transition = starting;
    return starting.then((node) => (this.stopping ? undefined : node));
  }

  /** Reboot, Reset or Shutdown: what runs before the stop, the stop, what runs with the node down. */
  async carryOut(node: RunningNode, action: LifecycleAction): Promise<Outcome> {
    if (this.stopping) return 'stopped';
    try {
      await action.beforeStop?.();
    } catch (error) {
      this.log.error(`${action.kind} failed (actor ${action.actorId}): ${(error as Error).message}`);
      return 'failed';
    }
    if (this.stopping) return 'stopped';
    this.log.info(`${action.kind} (actor ${action.actorId}): stopping the node`);
    const down = (async () => {
      this.running = undefined;
      await node.stop();
      await action.afterStop?.();
    })();
    this.transition = down;
    try {
      await down;
    } catch (error) {
      // The node is down and could be left half wiped: say so and end, rather than start on it.
      return this.exit(1, 'error', `${action.kind} failed (actor ${action.actorId}): ${(error as Error).message}`);
    }
    if (this.stopping) return 'stopped';
    return action.restart ? 'restart' : 'exit';
  }

  stop(signal: NodeJS.Signals): void {
    if (this.stopping) {
      this.log.warn(`${signal} again: exiting without a clean shutdown`);
      process.exit(1);
    }
    this.stopping = true;
    this.log.info(this.started ? `${signal}: shutting down` : `${signal}: shutting down once start-up has finished`);
    void this.stopStarted();
  }

  private async stopStarted(): Promise<void> {
    if (this.transition !== undefined) {
      // Whatever a start brings up is stopped below, and a reboot's stop and wipe are let finish (within a deadline).
      let timer: NodeJS.Timeout | undefined;
      const tooLong = new Promise<'too long'>((resolve) => (timer = setTimeout(() => resolve('too long'), START_WAIT_MS)));
      const finished = await Promise.race([this.transition.then(() => 'done' as const, () => 'done' as const), tooLong]);
      clearTimeout(timer);
      if (finished === 'too long') {
        return this.exit(1, 'error', `start-up did not finish within ${START_WAIT_MS / 1000} s: exiting without a clean shutdown`);
      }
    }
    try {
      await this.running?.stop();
    } catch (error) {
      return this.exit(1, 'error', `shutdown failed: ${(error as Error).message}`);
    }
    return this.exit(0, 'info', 'stopped');
  }

  async exit(code: number, level: 'info' | 'error', line: string): Promise<never> {
    this.log[level](line);
    await this.log.close();
    process.exit(code);
  }
}

await main(process.argv.slice(2));
