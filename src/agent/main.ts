// The osd process: `osd --state-dir <dir> --address <ip> [--port 50000] [--discovery-dir <dir>] [--host-agent]`.
// --host-agent: osd is the host's only agent, so process readouts show every process of the host.
// Importing this module runs the agent (bin/osd.js does exactly that).
import {parseArgs} from 'node:util';
import {createLogger, type Logger} from './log.js';
import {canonicalIp} from './net.js';
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
  const node = await lifecycle.start(async () => {
    const {DEFAULT_PORT, NodeSetupError, startNode} = await import('./node.js');
    return startNode({...args, port: args.port ?? DEFAULT_PORT, log}).catch((error: Error) => {
      throw error instanceof NodeSetupError ? new StartFailure(error.message) : error;
    });
  });
  if (node !== undefined) process.stdout.write(`osd listening on ${args.address}:${node.port}\n`);
}

/** osd from start to exit: a stop asked for while the node starts waits for the start, then stops what started. */
class Lifecycle {
  private starting?: Promise<RunningNode | undefined>;
  private started = false;
  private stopping = false;

  constructor(private readonly log: Logger) {}

  /** Starts the node; undefined when a stop came meanwhile (the stop then stops it). Exits 1 when the start fails. */
  start(startNode: () => Promise<RunningNode>): Promise<RunningNode | undefined> {
    this.starting = (async () => {
      try {
        const node = await startNode();
        this.started = true;
        return node;
      } catch (error) {
        const message = error instanceof StartFailure ? error.message : ((error as Error).stack ?? String(error));
        return this.exit(1, 'error', this.stopping ? `start-up failed while stopping: ${message}` : message);
      }
    })();
    return this.starting.then((node) => (this.stopping ? undefined : node));
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
    let node: RunningNode | undefined;
    if (this.starting !== undefined) {
      // Whatever the start brings up is stopped below, so it is let finish (within a deadline).
      let timer: NodeJS.Timeout | undefined;
      const tooLong = new Promise<'too long'>((resolve) => (timer = setTimeout(() => resolve('too long'), START_WAIT_MS)));
      const started = await Promise.race([this.starting, tooLong]);
      clearTimeout(timer);
      if (started === 'too long') {
        return this.exit(1, 'error', `start-up did not finish within ${START_WAIT_MS / 1000} s: exiting without a clean shutdown`);
      }
      node = started;
    }
    try {
      await node?.stop();
    } catch (error) {
      return this.exit(1, 'error', `shutdown failed: ${(error as Error).message}`);
    }
    return this.exit(0, 'info', 'stopped');
  }

  private async exit(code: number, level: 'info' | 'error', line: string): Promise<never> {
    this.log[level](line);
    await this.log.close();
    process.exit(code);
  }
}

await main(process.argv.slice(2));
