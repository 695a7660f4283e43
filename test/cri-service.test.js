// The `cri` service (127.49.3.0/24, in-process osd): it stands for osd's container runtime, so the
// extension services that say `depends: - service: cri` (as Talos's often do) and the kubelet start;
// `containerd` does not exist on osd, and a service depending on it waits as Talos would.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {ProcessRuntime} from '../dist/agent/cri/process-runtime.js';
import {criService} from '../dist/agent/cri/cri-service.js';
import {kubeletService} from '../dist/agent/kubelet/kubelet-service.js';
import {createLogger} from '../dist/agent/log.js';
import {startNode} from '../dist/agent/node.js';
import {Supervisor} from '../dist/agent/system/supervisor.js';
import {generateCA, issueClientCert} from '../dist/machinery/pki.js';
import {clientCredentials, DAY, eventually, freePort, MachineClient, makeStateDir, rejectsWith, unary} from './helpers/agents.js';

const ADDRESS = '127.49.3.2';

function addExtension(stateDir, name, depends) {
  fs.mkdirSync(path.join(stateDir, 'usr/local/etc/containers'), {recursive: true});
  fs.writeFileSync(
    path.join(stateDir, `usr/local/etc/containers/${name}.yaml`),
    `name: ${name}\ncontainer:\n  entrypoint: ./run\ndepends:\n${depends.map((id) => `  - service: ${id}\n`).join('')}restart: always\n`,
  );
  fs.mkdirSync(path.join(stateDir, `usr/local/lib/containers/${name}`), {recursive: true});
  fs.writeFileSync(path.join(stateDir, `usr/local/lib/containers/${name}/run`), '#!/bin/sh\nexec sleep 300\n', {mode: 0o755});
}

describe('the cri service on osd', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-cri-'));
  let node;
  let client;
  let log;

  before(async () => {
    const ca = await generateCA({organization: 'talos', ttlMs: DAY});
    const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
    const port = await freePort([ADDRESS]);
    const stateDir = await makeStateDir(root, {name: 'cri-node', address: ADDRESS, type: 'controlplane', ca, cluster: 'osd-cri'});
    addExtension(stateDir, 'on-cri', ['cri']);
    addExtension(stateDir, 'on-containerd', ['containerd']);
    log = createLogger({file: path.join(root, 'test.log'), stderr: false});
    node = await startNode({stateDir, address: ADDRESS, port, log});
    client = new MachineClient(`${ADDRESS}:${port}`, clientCredentials(ca, admin));
  });

  after(async () => {
    client?.close();
    await node?.stop();
    await log?.close();
    fs.rmSync(root, {recursive: true, force: true});
  });

  const service = async (id) => (await unary(client, 'serviceList', {})).messages[0].services.find((entry) => entry.id === id);
  const texts = (info) => info.events.events.map((event) => `${event.state}: ${event.msg}`);

  it('is listed with the node services and runs in osd, without a health check', async () => {
    const ids = (await unary(client, 'serviceList', {})).messages[0].services.map((info) => info.id);
    assert.deepEqual(ids, ['apid', 'cri', 'ext-on-containerd', 'ext-on-cri', 'kubelet', 'machined']);
    const cri = await eventually(async () => {
      const info = await service('cri');
      assert.equal(info.state, 'Running');
      return info;
    });
    assert.deepEqual(texts(cri).slice(-1), ['Running: Service started as goroutine']);
    assert.equal(cri.health.unknown, true);
    assert.ok(!node.supervisor.processes().some((entry) => entry.id === 'cri'), 'cri runs no process of its own');
  });

  it('lets the services that depend on it start: an extension service and the kubelet', async () => {
    assert.deepEqual(kubeletService({}).dependsOn, ['cri']);
    await eventually(async () => assert.equal((await service('ext-on-cri')).state, 'Running'));
    await eventually(async () => assert.equal((await service('kubelet')).state, 'Running'));
  });

  it('has no containerd: a service depending on it waits, as Talos waits for an unregistered service', async () => {
    const waiting = await service('ext-on-containerd');
    assert.equal(waiting.state, 'Waiting');
    assert.deepEqual(texts(waiting).slice(-1), ['Waiting: Waiting for service "containerd" to be registered']);
  });

  it('may not be started, stopped or restarted through the API', async () => {
    assert.equal((await unary(client, 'serviceStart', {id: 'cri'})).messages[0].resp, 'Service "cri" started'); // running already: nothing to do
    await rejectsWith(unary(client, 'serviceStop', {id: 'cri'}), grpc.status.UNKNOWN, `service "cri" doesn't support stop operation via API`);
    await rejectsWith(unary(client, 'serviceRestart', {id: 'cri'}), grpc.status.UNKNOWN, `service "cri" doesn't support restart operation via API`);
    assert.equal((await service('cri')).state, 'Running');
  });
});

describe('the cri service and its runtime', () => {
  it('is Running while the runtime accepts work and fails (to be restarted) once the runtime shuts down; the runtime then refuses work', async () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-cri-runtime-'));
    const runtime = new ProcessRuntime();
    const supervisor = new Supervisor({logLine: () => {}});
    try {
      supervisor.register(criService(runtime));
      supervisor.startAll();
      await eventually(() => assert.equal(supervisor.get('cri').state, 'Running'));
      await runtime.shutdown(100);
      await eventually(() => assert.equal(supervisor.get('cri').state, 'Waiting'));
      const last = supervisor.get('cri').events.at(-1);
      assert.equal(last.message, 'Error running Goroutine("cri"), going to restart forever: the container runtime (osd) has shut down');
      const sandbox = {namespace: 'default', name: 'late', uid: 'u', logDirectory: path.join(scratch, 'logs'), podDirectory: path.join(scratch, 'pod'), annotations: {}};
      assert.throws(() => runtime.runPodSandbox(sandbox), /the container runtime is shutting down/);
    } finally {
      await supervisor.shutdown();
      fs.rmSync(scratch, {recursive: true, force: true});
    }
  });
});
