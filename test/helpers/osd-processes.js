// Real osd processes (bin/osd.js) on loopback, laid out as `osctl cluster create` lays them out,
// for tests that need the agent in its own process (its memory, its exit) rather than in-process.
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import {createServer} from 'node:net';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {newMachineConfig} from '../../dist/machinery/machineconfig/index.js';
import {generateCA, issueClientCert, issueServerCert} from '../../dist/machinery/pki.js';
import {root as repo} from './cli.js';

const DAY = 24 * 3600 * 1000;
const CLUSTER = 'osd-test';

/** A TCP port free on every one of `addresses` (the nodes of a cluster share their port). */
export async function freePort(addresses) {
  const tryListen = (port, address) =>
    new Promise((resolve) => {
      const server = createServer().listen(port, address, () => {
        const {port: bound} = server.address();
        server.close(() => resolve(bound));
      });
      server.on('error', () => resolve(undefined));
    });
  for (;;) {
    const port = await tryListen(0, addresses[0]);
    let free = port !== undefined;
    for (const address of addresses.slice(1)) free = free && (await tryListen(port, address)) !== undefined;
    if (free) return port;
  }
}

async function makeStateDir(root, {name, address, type, ca}) {
  const dir = path.join(root, name);
  for (const sub of ['etc', 'var/log', 'system/state', 'system/secrets']) fs.mkdirSync(path.join(dir, sub), {recursive: true});
  const config = newMachineConfig({
    type,
    clusterName: CLUSTER,
    controlPlaneEndpoint: `https://${address}:6443`,
    hostname: name,
    caCrtPem: ca.crt,
    caKeyPem: type === 'worker' ? undefined : ca.key,
    token: '3b9kzq.8vm2d5p1xq7ua0cf',
  });
  fs.writeFileSync(path.join(dir, 'system/state/config.yaml'), config.raw);
  const server = await issueServerCert(ca, {ips: [address], dnsNames: [name], commonName: name, ttlMs: DAY});
  const forwarding = await issueClientCert(ca, {roles: ['os:impersonator'], ttlMs: DAY});
  const secrets = path.join(dir, 'system/secrets');
  fs.writeFileSync(path.join(secrets, 'api.crt'), server.crt);
  fs.writeFileSync(path.join(secrets, 'api.key'), server.key);
  fs.writeFileSync(path.join(secrets, 'apid-client.crt'), forwarding.crt);
  fs.writeFileSync(path.join(secrets, 'apid-client.key'), forwarding.key);
  return dir;
}

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
  for (const [name, address, type] of nodes) stateDirs.push(await makeStateDir(root, {name, address, type, ca}));
  return {
    ca,
    admin,
    port,
    discoveryDir,
    stateDirs,
    /** Credentials of the os:admin client. */
    credentials: () =>
      grpc.credentials.createSsl(
        Buffer.from(ca.crt),
        Buffer.from(admin.key.replace(/(BEGIN|END) ED25519 PRIVATE KEY/g, '$1 PRIVATE KEY')),
        Buffer.from(admin.crt),
      ),
  };
}

/** A cluster of osd processes (see prepareCluster). stop() ends every process it started, by PID. */
export async function startCluster(root, nodes) {
  const prepared = await prepareCluster(root, nodes);
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
