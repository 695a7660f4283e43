// Stats and META on one real osd process (127.56.6.2) over mTLS gRPC: an extension service's
// process measured in the system namespace (the same inventory as Containers), META that survives
// an osd restart, and who may write it (os:admin and os:meta:writer, not os:reader).
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {ContainerDriver} from '../dist/machinery/api/common/common.js';
import {issueClientCert} from '../dist/machinery/pki.js';
import {clientCredentials, DAY, eventually, MachineClient, rejectsWith, StateClient, unary} from './helpers/agents.js';
import {root as repo} from './helpers/cli.js';
import {prepareCluster, procStatusBytes} from './helpers/osd-processes.js';
import {endRecordedProcessGroups} from './helpers/process-groups.js';

process.noDeprecation = true; // DEP0123: grpc-js passes IP targets as the TLS server name.

const ADDRESS = '127.56.6.2';
const META_KEYS = 'MetaKeys.runtime.talos.dev';

describe('stats and META on an osd process', () => {
  let root;
  let cluster;
  let stateDir;
  let osd;
  let client;
  let state;
  let reader;
  let metaWriter;

  async function startOsd() {
    let stderr = '';
    osd = spawn(process.execPath, [path.join(repo, 'bin/osd.js'), '--state-dir', stateDir, '--address', ADDRESS, '--port', String(cluster.port), '--discovery-dir', cluster.discoveryDir], {stdio: ['ignore', 'pipe', 'pipe']});
    osd.stderr.on('data', (chunk) => (stderr += chunk));
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`osd did not start\n${stderr}`)), 20_000);
      osd.stdout.on('data', (chunk) => String(chunk).includes('osd listening on') && (clearTimeout(timer), resolve()));
      osd.once('exit', (code) => (clearTimeout(timer), reject(new Error(`osd exited with ${code}\n${stderr}`))));
    });
  }

  async function stopOsd(signal = 'SIGTERM') {
    if (osd.exitCode !== null || osd.signalCode !== null) return;
    const exited = new Promise((resolve) => osd.once('exit', resolve));
    osd.kill(signal);
    await exited;
  }

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-netmeta-'));
    cluster = await prepareCluster(root, [['netmeta-1', ADDRESS, 'controlplane']]);
    stateDir = cluster.stateDirs[0];
    // An extension service whose process (and its child) the system namespace measures.
    fs.mkdirSync(path.join(stateDir, 'usr/local/etc/containers'), {recursive: true});
    fs.writeFileSync(path.join(stateDir, 'usr/local/etc/containers/sleeper.yaml'), 'name: sleeper\ncontainer:\n  entrypoint: ./run\nrestart: always\n');
    fs.mkdirSync(path.join(stateDir, 'usr/local/lib/containers/sleeper'), {recursive: true});
    fs.writeFileSync(path.join(stateDir, 'usr/local/lib/containers/sleeper/run'), '#!/bin/sh\nsleep 300 &\nwhile :; do sleep 0.2; done\n', {mode: 0o755});
    await startOsd();
    client = new MachineClient(`${ADDRESS}:${cluster.port}`, cluster.credentials());
    state = new StateClient(`${ADDRESS}:${cluster.port}`, cluster.credentials());
    reader = new MachineClient(`${ADDRESS}:${cluster.port}`, clientCredentials(cluster.ca, await issueClientCert(cluster.ca, {roles: ['os:reader'], ttlMs: DAY})));
    metaWriter = new MachineClient(`${ADDRESS}:${cluster.port}`, clientCredentials(cluster.ca, await issueClientCert(cluster.ca, {roles: ['os:meta:writer'], ttlMs: DAY})));
  });

  after(async () => {
    for (const each of [client, state, reader, metaWriter]) each?.close();
    if (osd) await stopOsd('SIGKILL');
    await endRecordedProcessGroups(stateDir);
    fs.rmSync(root, {recursive: true, force: true});
  });

  it('Stats (system): the service\'s processes, measured; the same ids as Containers', async () => {
    const system = {namespace: 'system', driver: ContainerDriver.CONTAINERD};
    const sleeper = await eventually(async () => {
      const containers = (await unary(client, 'containers', system)).messages[0].containers;
      const found = containers.find((c) => c.id === 'ext-sleeper');
      assert.ok(found, JSON.stringify(containers));
      return found;
    }, 15_000);
    const stats = (await unary(client, 'stats', system)).messages[0].stats;
    const containers = (await unary(client, 'containers', system)).messages[0].containers;
    assert.deepEqual(stats.map((s) => s.id).sort(), containers.map((c) => c.id).sort());
    const stat = stats.find((s) => s.id === 'ext-sleeper');
    assert.equal(stat.namespace, 'system');
    assert.equal(stat.podId, 'ext-sleeper');
    const leader = procStatusBytes(sleeper.pid, 'VmRSS');
    assert.ok(Number(stat.memoryUsage) > leader, `the shell and its sleeps: ${stat.memoryUsage} > ${leader}`);
    assert.ok(Number(stat.memoryUsage) < 256 * 1024 * 1024);
    await rejectsWith(unary(client, 'stats', {namespace: '', driver: ContainerDriver.CONTAINERD}), grpc.status.INVALID_ARGUMENT, /^namespace can't be empty$/);
  });

  it('MetaWrite/MetaDelete: Talos\'s checks and codes, and the roles that may call them', async () => {
    await rejectsWith(unary(client, 'metaWrite', {key: 256, value: Buffer.from('x')}), grpc.status.INVALID_ARGUMENT, /^key must be a uint8$/);
    await rejectsWith(unary(client, 'metaWrite', {key: 1, value: Buffer.alloc(300 * 1024)}), grpc.status.RESOURCE_EXHAUSTED, /^meta write failed$/);
    await rejectsWith(unary(client, 'metaDelete', {key: 77}), grpc.status.NOT_FOUND, /^meta key not found$/);
    await rejectsWith(unary(reader, 'metaWrite', {key: 1, value: Buffer.from('x')}), grpc.status.PERMISSION_DENIED, /not authorized/);
    await unary(metaWriter, 'metaWrite', {key: 0x0a, value: Buffer.from('by the writer')});
    await unary(client, 'metaWrite', {key: 0x0c, value: Buffer.from('kept')});
    await unary(metaWriter, 'metaDelete', {key: 0x0a});
  });

  it('META survives an osd restart and is published again', async () => {
    await stopOsd();
    await startOsd();
    const resource = await eventually(async () => (await unary(state, 'get', {namespace: 'runtime', type: META_KEYS, id: '0x0c'})).resource, 10_000);
    assert.equal(resource.spec.yamlSpec, 'value: kept\n');
    const list = [];
    await new Promise((resolve, reject) => {
      const stream = state.list({namespace: 'runtime', type: META_KEYS});
      stream.on('data', (message) => list.push(message.resource.metadata.id));
      stream.on('error', reject);
      stream.on('end', resolve);
    });
    assert.deepEqual(list, ['0x0c']);
  });
});
