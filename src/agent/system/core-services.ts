// osd's own services: `apid` (the API server: Running only while it listens, healthy while a TCP
// connection to it succeeds) and `machined` (osd itself). Neither may be started, stopped or
// restarted through the API, as in Talos.
import {connect} from 'node:net';
import {aborted, InProcessRunner} from './in-process-runner.js';
import type {ServiceDefinition} from './service.js';

const NO_API_ACTIONS = {start: false, stop: false, restart: false};
/** Talos's default health settings. */
const DEFAULT_HEALTH = {initialDelayMs: 1000, periodMs: 5000, timeoutMs: 500};

/** What apid needs to know about the API server. */
export interface ApiServerState {
  address: string;
  port: number;
  /** Resolves when the server has stopped listening. */
  stopped: Promise<void>;
}

export function apidService(server: ApiServerState): ServiceDefinition {
  return {
    id: 'apid',
    dependsOn: [],
    restart: 'forever',
    api: NO_API_ACTIONS,
    createRunner: () =>
      new InProcessRunner('apid', async (signal) => {
        const stoppedListening = server.stopped.then(() => {
          throw new Error(`the API server on ${server.address}:${server.port} stopped listening`);
        });
        await Promise.race([stoppedListening, aborted(signal)]);
      }),
    health: {settings: DEFAULT_HEALTH, check: (signal) => dial(server.address, server.port, signal)},
  };
}

export function machinedService(): ServiceDefinition {
  return {
    id: 'machined',
    dependsOn: [],
    restart: 'forever',
    api: NO_API_ACTIONS,
    // osd is machined: the body lives as long as the process and ends when asked to.
    createRunner: () => new InProcessRunner('machined', (signal) => aborted(signal)),
  };
}

/** Opens and closes a TCP connection; rejects with the connection error. */
function dial(address: string, port: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({host: address, port});
    const cancel = (): void => {
      socket.destroy();
      reject(new Error('context deadline exceeded'));
    };
    signal.addEventListener('abort', cancel, {once: true});
    socket.once('connect', () => {
      signal.removeEventListener('abort', cancel);
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', cancel);
      reject(new Error(`dial tcp ${address}:${port}: ${error.message}`));
    });
  });
}
