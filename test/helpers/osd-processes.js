// Real osd processes (bin/osd.js) on loopback, laid out as `osctl cluster create` lays them out,
// for tests that need the agent in its own process (its memory, its exit) rather than in-process.
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {generateCA, issueClientCert} from '../../dist/machinery/pki.js';
import {clientCredentials, DAY, freePort, makeStateDir} from './agents.js';
import {root as repo} from './cli.js';
import {endRecordedProcessGroups} from './process-groups.js';

/** Spawns osd and resolves once it listens; rejects with its stderr if it exits first. */
function spawnOsd(args) {
  const child = spawn(process.execPath, [path.join(repo, 'bin', 'osd.js'), ...args], {stdio: ['ignore', 'pipe', 'pipe']});
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`osd ${args.join(' ')} did not start within 20 s\n${stderr}`));
    }, 20_000);
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('osd listening on')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`osd exited with ${code} before listening\n${stderr}`));
    });
  });
}

/** Node state dirs (nodes are [name, address, type]), a shared discovery dir, a port and an os:admin client. */
export async function prepareCluster(root, nodes) {
  const discoveryDir = path.join(root, 'discovery');
  fs.mkdirSync(discoveryDir, {recursive: true});
  const ca = await generateCA({organization: 'talos', ttlMs: DAY});
  const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
  const port = await freePort(nodes.map(([, address]) => address));
  const stateDirs = [];
  for (const [name, address, type] of nodes) stateDirs.push(await makeStateDir(root, {name, address, type, ca, cluster: 'osd-test'}));
  return {ca, admin, port, discoveryDir, stateDirs, credentials: () => clientCredentials(ca, admin)};
}

/**
 * A cluster of osd processes (see prepareCluster). stop() ends every process it started, by PID:
 * each osd (SIGKILL), then the services and pods it left running (the groups its state dir records).
 * `beforeStart(stateDir)`: adds to a node's state dir before its osd starts.
 */
export async function startCluster(root, nodes, {beforeStart} = {}) {
  const prepared = await prepareCluster(root, nodes);
  for (const stateDir of prepared.stateDirs) beforeStart?.(stateDir);
  const started = [];
  const cluster = {
    ...prepared,
    nodes: started,
    async stop() {
      await Promise.all(
        started.map(
          ({process: child}) =>
            new Promise((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', resolve);
              child.kill('SIGKILL');
            }),
        ),
      );
      for (const stateDir of prepared.stateDirs) await endRecordedProcessGroups(stateDir);
    },
  };
  try {
    for (const [index, [name, address]] of nodes.entries()) {
      const args = ['--state-dir', prepared.stateDirs[index], '--address', address, '--port', String(prepared.port), '--discovery-dir', prepared.discoveryDir];
      const child = await spawnOsd(args);
      started.push({name, address, process: child, pid: child.pid});
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** A field of /proc/<pid>/status in bytes (VmRSS, VmHWM, …). */
export function procStatusBytes(pid, field) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (match === null) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
