// etcd of a local cluster for tests: etcdctl with the client files `cluster show -o json` names,
// a MachineService client from the cluster's talosconfig context (for Bootstrap and EtcdRecover
// until the CLI has them), the PID of a node's etcd, and restarting a node's osd by PID.
import {execFile, spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import {loadYaml} from '../../dist/machinery/yaml.js';
import {MachineClient} from './agents.js';
import {clusterDescription, isAlive, osctl, root} from './cli.js';

/** The etcd fields of each control plane in `cluster show -o json`. */
export async function etcdEndpoints(env, name) {
  const shown = await osctl(['cluster', 'show', '--name', name, '-o', 'json'], {env});
  if (shown.code !== 0) throw new Error(`cluster show failed: ${shown.stderr}`);
  return JSON.parse(shown.stdout).nodes.filter((node) => node.etcd !== undefined).map((node) => ({name: node.name, address: node.address, ...node.etcd}));
}

/** Runs `etcdctl <args>` (v3 API) against `endpoint` with the cluster's client files; resolves {code, stdout, stderr}. */
export function etcdctl(etcd, args, {timeoutMs = 20_000} = {}) {
  return new Promise((resolve) => {
    execFile(
      'etcdctl',
      ['--endpoints', etcd.endpoint, '--cacert', etcd.ca, '--cert', etcd.cert, '--key', etcd.key, '--command-timeout=10s', ...args],
      {env: {PATH: process.env.PATH, ETCDCTL_API: '3'}, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024},
      (error, stdout, stderr) => resolve({code: error ? (error.code ?? 1) : 0, stdout, stderr}),
    );
  });
}

/** etcdctl's `-w json` output, with 64-bit ids (printed as bare numbers) kept exact as decimal strings. */
export function parseEtcdJson(text) {
  return JSON.parse(text.replace(/"(ID|member_id|cluster_id|leader)":(\d+)/g, '"$1":"$2"'));
}

/** A MachineService client to `address` with the admin credentials of the talosconfig's context `name`. */
export function machineClient(talosconfigPath, name, address) {
  const context = loadYaml(fs.readFileSync(talosconfigPath, 'utf8')).contexts[name];
  const decode = (field) => Buffer.from(context[field], 'base64');
  const key = decode('key').toString('utf8').replace(/ED25519 PRIVATE KEY/g, 'PRIVATE KEY');
  return new MachineClient(`${address}:50000`, grpc.credentials.createSsl(decode('ca'), Buffer.from(key), decode('crt')));
}

/** Uploads `bytes` through EtcdRecover in 1 MiB chunks. */
export function uploadSnapshot(client, bytes) {
  return new Promise((resolve, reject) => {
    const call = client.etcdRecover(new grpc.Metadata(), {deadline: Date.now() + 30_000}, (error, response) => (error ? reject(error) : resolve(response)));
    for (let offset = 0; offset < bytes.length; offset += 1 << 20) call.write({bytes: bytes.subarray(offset, offset + (1 << 20))});
    call.end();
  });
}

/** The PID of the etcd process serving `dataDir` (found through /proc, for killing it by PID). */
export function etcdPid(dataDir) {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args;
    try {
      args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (path.basename(args[0] ?? '') === 'etcd' && args.includes(dataDir)) return Number(entry);
  }
  return undefined;
}

/**
 * Stops a node's osd (SIGTERM by PID; its services stop with it), runs `between`, and starts the
 * osd again as `cluster create` does, recording the new PID in cluster.json so destroy finds it.
 */
export async function restartNode(home, clusterName, nodeName, between = async () => {}) {
  const clusterDir = path.join(home, '.talos', 'clusters', clusterName);
  const description = clusterDescription(home, clusterName);
  const node = description.nodes.find((each) => each.name === nodeName);
  process.kill(node.pid, 'SIGTERM');
  for (let waited = 0; isAlive(node.pid); waited += 50) {
    if (waited > 20_000) throw new Error(`osd of ${nodeName} did not stop`);
    await delay(50);
  }
  await between(node);
  const log = fs.openSync(path.join(node.stateDir, 'var/log/osd.console.log'), 'a');
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin', 'osd.js'), '--state-dir', node.stateDir, '--address', node.address, '--port', '50000', '--discovery-dir', path.join(clusterDir, 'discovery')],
    {detached: true, stdio: ['ignore', log, log], cwd: node.stateDir},
  );
  fs.closeSync(log);
  child.unref();
  node.pid = child.pid;
  fs.writeFileSync(path.join(clusterDir, 'cluster.json'), `${JSON.stringify(description, null, 2)}\n`);
  return node;
}

/** Runs one `etcdctl txn` with `operations` (lines like `put k v`) as its success branch; resolves the exit code. */
export function etcdctlTxn(etcd, operations) {
  return new Promise((resolve, reject) => {
    const child = spawn('etcdctl', ['--endpoints', etcd.endpoint, '--cacert', etcd.ca, '--cert', etcd.cert, '--key', etcd.key, 'txn'], {
      env: {PATH: process.env.PATH, ETCDCTL_API: '3'},
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    child.once('error', reject);
    child.on('close', (code) => resolve(code));
    // No compares, the operations, no failure operations.
    child.stdin.end(`\n${operations.join('\n')}\n\n\n`);
  });
}
