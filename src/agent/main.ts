// The osd process: `osd --state-dir <dir> --address <ip> [--port 50000] [--discovery-dir <dir>]`.
// Importing this module runs the agent (bin/osd.js does exactly that).
import {parseArgs} from 'node:util';
import {createLogger, type Logger} from './log.js';
import {canonicalIp} from './net.js';
import {DEFAULT_PORT, NodeSetupError, startNode, type RunningNode} from './node.js';
import {statePaths} from './state-dir.js';

const USAGE = 'usage: osd --state-dir <dir> --address <ip> [--port 50000] [--discovery-dir <dir>]';

interface Arguments {
  stateDir: string;
  address: string;
  port: number;
  discoveryDir?: string;
}

function parseArguments(argv: string[]): Arguments {
  const {values} = parseArgs({
    args: argv,
    options: {
      'state-dir': {type: 'string'},
      address: {type: 'string'},
      port: {type: 'string'},
      'discovery-dir': {type: 'string'},
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
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`--port must be a TCP port number from 1 to 65535 (got ${JSON.stringify(values.port)})`);
  }
  return {stateDir, address, port, discoveryDir: values['discovery-dir']};
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  let args: Arguments;
  try {
    args = parseArguments(argv);
  } catch (error) {
    process.stderr.write(`osd: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }

  const log = createLogger({file: statePaths(args.stateDir).log, stderr: true});
  let node: RunningNode;
  try {
    node = await startNode({...args, log});
  } catch (error) {
    log.error(error instanceof NodeSetupError ? error.message : ((error as Error).stack ?? String(error)));
    await log.close();
    process.exit(1);
  }
  // Handlers first: whoever reads the line below may signal at once, and without a handler the
  // kernel's default action would kill osd without a clean shutdown.
  handleShutdown(node, log);
  process.stdout.write(`osd listening on ${args.address}:${node.port}\n`);
}

function handleShutdown(node: RunningNode, log: Logger): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn(`${signal} again: exiting without a clean shutdown`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: shutting down`);
    node
      .stop()
      .then(async () => {
        log.info('stopped');
        await log.close();
        process.exit(0);
      })
      .catch(async (error: Error) => {
        log.error(`shutdown failed: ${error.message}`);
        await log.close();
        process.exit(1);
      });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

await main(process.argv.slice(2));
