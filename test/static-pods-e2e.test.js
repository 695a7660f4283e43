// Static pods end to end on real osd agents (127.45.0.0/16): `machine.pods` rendered to StaticPods
// and manifests, the kubelet running them as host processes, StaticPodStatuses, Containers and
// Restart for k8s.io (also through a forwarding hop), restarts after a killed process, a bad
// manifest not disturbing other pods, and no process left once osd stops.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as yaml from 'js-yaml';
import {createLogger} from '../dist/agent/log.js';
import {startNode} from '../dist/agent/node.js';
import {generateCA, issueClientCert} from '../dist/machinery/pki.js';
import {
  collect,
  DAY,
  eventually,
  freePort,
  MachineClient,
  makeStateDir,
  clientCredentials,
  metadataOf,
  osdProcess,
  rejectsWith,
  StateClient,
  unary,
} from './helpers/agents.js';
import {endRecordedProcessGroups} from './helpers/process-groups.js';
import {isAlive as alive} from './helpers/cli.js';

const STATIC_PODS = 'StaticPods.kubernetes.talos.dev';
const STATUSES = 'StaticPodStatuses.kubernetes.talos.dev';
const CRI = 1;

const PODS = [
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name: 'web'},
    spec: {
      terminationGracePeriodSeconds: 2,
      containers: [{name: 'web', image: 'docker.io/library/busybox:1.36', command: ['/bin/sh', '-c'], args: ['echo "hello from $NAME"; echo "to stderr" >&2; exec sleep 300'], env: [{name: 'NAME', value: 'web'}]}],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name: 'tick', namespace: 'kube-system'},
    spec: {terminationGracePeriodSeconds: 2, containers: [{name: 'tick', image: 'busybox', command: ['/bin/sh', '-c', 'exec sleep 300']}]},
  },
  {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'empty'}, spec: {}},
];

/** A state dir whose machine config carries `pods`. */
async function stateDirWithPods(root, options, pods) {
  const dir = await makeStateDir(root, options);
  const configPath = path.join(dir, 'system/state/config.yaml');
  const config = yaml.load(fs.readFileSync(configPath, 'utf8'));
  config.machine.pods = pods;
  fs.writeFileSync(configPath, yaml.dump(config));
  return dir;
}

/** An extension service running a process, for the `system` namespace of Containers and Restart. */
function addSleeperService(stateDir) {
  fs.mkdirSync(path.join(stateDir, 'usr/local/etc/containers'), {recursive: true});
  fs.writeFileSync(path.join(stateDir, 'usr/local/etc/containers/sleeper.yaml'), 'name: sleeper\ncontainer:\n  entrypoint: ./run\ndepends:\n  - network: [addresses]\nrestart: always\n');
  fs.mkdirSync(path.join(stateDir, 'usr/local/lib/containers/sleeper'), {recursive: true});
  fs.writeFileSync(path.join(stateDir, 'usr/local/lib/containers/sleeper/run'), '#!/bin/sh\nexec sleep 300\n', {mode: 0o755});
}

describe('static pods on osd', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-static-pods-'));
  const addresses = ['127.45.0.1', '127.45.0.2'];
  const agents = [];
  const clients = [];
  let connect;
  let log;

  before(async () => {
    const ca = await generateCA({organization: 'talos', ttlMs: DAY});
    const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
    const port = await freePort(addresses);
    const discoveryDir = path.join(root, 'discovery');
    fs.mkdirSync(discoveryDir);
    log = createLogger({file: path.join(root, 'test.log'), stderr: false});
    const nodes = [
      ['pods-1', addresses[0], 'controlplane', PODS],
      ['pods-2', addresses[1], 'worker', []],
    ];
    for (const [name, address, type, pods] of nodes) {
      const stateDir = await stateDirWithPods(root, {name, address, type, ca, cluster: 'osd-pods'}, pods);
      if (name === 'pods-1') addSleeperService(stateDir);
      agents.push(await startNode({stateDir, address, port, discoveryDir, log}));
    }
    connect = (Client) => {
      const client = new Client(`${addresses[0]}:${port}`, clientCredentials(ca, admin));
      clients.push(client);
      return client;
    };
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const agent of agents) await agent.stop();
    await log?.close();
    fs.rmSync(root, {recursive: true, force: true});
  });

  const state = () => connect(StateClient);
  const machine = () => connect(MachineClient);
  const list = async (type, node) => (await collect(state().list({namespace: 'k8s', type}, metadataOf(node === undefined ? {} : {node})))).map((r) => r.resource);
  const containers = async (node) => (await unary(machine(), 'containers', {namespace: 'k8s.io', driver: CRI}, node === undefined ? {} : {node})).messages[0].containers;
  const podStatus = async (id) => {
    const resource = (await list(STATUSES)).find((r) => r.metadata.id === id);
    return resource === undefined ? undefined : yaml.load(resource.spec.yamlSpec);
  };
  const readyOf = (status) => status?.conditions.find((condition) => condition.type === 'Ready')?.status;

  it('renders machine.pods to manifests and StaticPod resources', async () => {
    const resources = await list(STATIC_PODS);
    assert.deepEqual(resources.map((r) => r.metadata.id).sort(), ['default-empty', 'default-web', 'kube-system-tick']);
    assert.equal(yaml.load(resources.find((r) => r.metadata.id === 'default-web').spec.yamlSpec).metadata.name, 'web');
    assert.deepEqual(fs.readdirSync(path.join(root, 'pods-1/etc/kubernetes/manifests')).sort(), [
      'talos-default-empty.yaml',
      'talos-default-web.yaml',
      'talos-kube-system-tick.yaml',
    ]);
  });

  it('publishes StaticPodStatuses with READY True for the pods that run', async () => {
    await eventually(async () => {
      const ids = (await list(STATUSES)).map((r) => r.metadata.id).sort();
      assert.deepEqual(ids, ['default/web-pods-1', 'kube-system/tick-pods-1']);
      assert.equal(readyOf(await podStatus('default/web-pods-1')), 'True');
    }, 10_000);
    const status = await podStatus('default/web-pods-1');
    assert.equal(status.phase, 'Running');
    assert.equal(status.hostIP, '127.45.0.1');
    assert.equal(status.containerStatuses[0].restartCount, 0);
    assert.equal(status.containerStatuses[0].image, 'docker.io/library/busybox:1.36');
  });

  it('lists the ready sandbox and its container for k8s.io, here and through a forwarding hop', async () => {
    for (const node of [undefined, addresses[0]]) {
      const rows = (await containers(node)).filter((row) => row.podId === 'default/web-pods-1');
      assert.equal(rows.length, 2);
      const [sandbox, container] = rows.sort((a, b) => (a.id < b.id ? -1 : 1));
      assert.deepEqual(
        {...sandbox, uid: undefined, internalId: undefined},
        {namespace: 'k8s.io', id: 'default/web-pods-1', image: '', pid: 0, status: 'SANDBOX_READY', podId: 'default/web-pods-1', name: 'default/web-pods-1', networkNamespace: '', internalId: undefined, uid: undefined},
      );
      assert.match(sandbox.uid, /^[0-9a-f]{32}$/);
      assert.match(sandbox.internalId, /^[0-9a-f]{64}$/);
      assert.match(container.id, /^default\/web-pods-1:web:[0-9a-f]{12}$/);
      assert.equal(container.internalId.slice(0, 12), container.id.slice(-12));
      assert.equal(container.status, 'CONTAINER_RUNNING');
      assert.equal(container.image, 'docker.io/library/busybox:1.36');
      assert.equal(container.name, 'web');
      assert.ok(alive(container.pid), 'a live process is behind the container');
      assert.match(fs.readFileSync(`/proc/${container.pid}/cmdline`, 'utf8'), /^sleep\x00300\x00$/);
    }
    assert.deepEqual(await containers(addresses[1]), []);
  });

  it('refuses a namespace the CRI driver does not serve, and unknown containers', async () => {
    await rejectsWith(unary(machine(), 'containers', {namespace: 'system', driver: CRI}), grpc.status.UNKNOWN, 'CRI inspector is supported only for K8s namespace');
    await rejectsWith(unary(machine(), 'containers', {namespace: '', driver: CRI}), grpc.status.INVALID_ARGUMENT, "namespace can't be empty");
    await rejectsWith(unary(machine(), 'restart', {namespace: 'k8s.io', id: 'default/nope', driver: CRI}), grpc.status.UNKNOWN, 'container "default/nope" not found');
  });

  it('writes the container output to a CRI log file', async () => {
    const [container] = (await containers()).filter((row) => row.podId === 'default/web-pods-1' && row.name === 'web');
    const podLogs = path.join(root, 'pods-1/var/log/pods');
    const [podDir] = fs.readdirSync(podLogs).filter((name) => name.startsWith('default_web-pods-1_'));
    const file = path.join(podLogs, podDir, 'web', '0.log');
    await eventually(() => assert.equal(fs.readFileSync(file, 'utf8').split('\n').length, 3));
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n').sort((a, b) => (a.split(' ')[1] < b.split(' ')[1] ? 1 : -1));
    assert.match(lines[0], /^\S+Z stdout F hello from web$/);
    assert.match(lines[1], /^\S+Z stderr F to stderr$/);
    assert.ok(container);
  });

  it('restarts a container whose process was killed, and one restarted through the Restart API', async () => {
    const before = await containers();
    const web = before.find((row) => row.podId === 'default/web-pods-1' && row.status === 'CONTAINER_RUNNING');
    process.kill(web.pid, 'SIGKILL');
    await eventually(async () => {
      const status = await podStatus('default/web-pods-1');
      assert.equal(status.containerStatuses[0].restartCount, 1);
      assert.equal(readyOf(status), 'True');
      assert.equal(status.containerStatuses[0].lastState.terminated.exitCode, 137);
    }, 10_000);
    const after = (await containers()).filter((row) => row.podId === 'default/web-pods-1' && row.name === 'web');
    const running = after.find((row) => row.status === 'CONTAINER_RUNNING');
    assert.notEqual(running.pid, web.pid);
    assert.ok(alive(running.pid));
    assert.ok(after.some((row) => row.status === 'CONTAINER_EXITED' && row.internalId === web.internalId && row.pid === 0));

    const tick = before.find((row) => row.podId === 'kube-system/tick-pods-1' && row.status === 'CONTAINER_RUNNING');
    const response = await unary(machine(), 'restart', {namespace: 'k8s.io', id: tick.id, driver: CRI});
    assert.deepEqual(response.messages, [{metadata: undefined}]);
    await eventually(async () => {
      const status = await podStatus('kube-system/tick-pods-1');
      assert.equal(status.containerStatuses[0].restartCount, 1);
      assert.equal(status.containerStatuses[0].lastState.terminated.exitCode, 143);
      assert.equal(readyOf(status), 'True');
    }, 10_000);
    assert.equal(alive(tick.pid), false);
  });

  it('lists and restarts service processes in the system namespace', async () => {
    const systemRows = async () => (await unary(machine(), 'containers', {namespace: 'system', driver: 0})).messages[0].containers;
    const sleeper = await eventually(async () => {
      const row = (await systemRows()).find((candidate) => candidate.id === 'ext-sleeper');
      assert.ok(row);
      return row;
    }, 10_000);
    assert.deepEqual({...sleeper, pid: 0}, {namespace: 'system', id: 'ext-sleeper', image: '', pid: 0, status: 'RUNNING', podId: 'ext-sleeper', name: 'ext-sleeper', networkNamespace: '', internalId: 'ext-sleeper', uid: ''});
    assert.ok(alive(sleeper.pid));
    assert.deepEqual((await systemRows()).map((row) => row.id), ['ext-sleeper'], 'the in-process kubelet runs no process of its own');
    await unary(machine(), 'restart', {namespace: 'system', id: 'ext-sleeper', driver: 0});
    await eventually(() => assert.equal(alive(sleeper.pid), false), 5000);
    // The service's restart policy (Talos: 5 s between runs) brings it back.
    await eventually(async () => {
      const row = (await systemRows()).find((candidate) => candidate.id === 'ext-sleeper');
      assert.ok(row && row.pid !== sleeper.pid && alive(row.pid));
    }, 12_000);
    await rejectsWith(unary(machine(), 'restart', {namespace: 'system', id: 'kubelet', driver: 0}), grpc.status.UNKNOWN, 'container "kubelet" not found');
  });

  it('keeps other pods running when a manifest is bad, and stops a pod whose manifest is removed', async () => {
    const manifests = path.join(root, 'pods-1/etc/kubernetes/manifests');
    const web = (await containers()).find((row) => row.podId === 'default/web-pods-1' && row.status === 'CONTAINER_RUNNING');
    fs.writeFileSync(path.join(manifests, 'broken.yaml'), 'kind: Pod\nmetadata: {name: [\n');
    fs.writeFileSync(path.join(manifests, 'extra.yaml'), yaml.dump({...PODS[1], metadata: {name: 'extra'}}));
    await eventually(async () => assert.equal(readyOf(await podStatus('default/extra-pods-1')), 'True'), 10_000);
    assert.equal(readyOf(await podStatus('default/web-pods-1')), 'True');
    const extra = (await containers()).find((row) => row.podId === 'default/extra-pods-1' && row.status === 'CONTAINER_RUNNING');
    fs.unlinkSync(path.join(manifests, 'extra.yaml'));
    await eventually(async () => assert.equal(await podStatus('default/extra-pods-1'), undefined), 10_000);
    await eventually(() => assert.equal(alive(extra.pid), false), 5000);
    assert.ok(alive(web.pid));
  });

  const logs = async (request, node) =>
    Buffer.concat(
      (await collect(machine().logs({namespace: 'k8s.io', driver: CRI, follow: false, tailLines: -1, ...request}, metadataOf(node === undefined ? {} : {node})))).map((data) => {
        assert.ok(data.bytes.length <= 1024);
        return data.bytes;
      }),
    ).toString();

  it('serves container logs as CRI lines for k8s.io ids, also through a forwarding hop', async () => {
    const web = (await containers()).filter((row) => row.podId === 'default/web-pods-1' && row.name === 'web').at(-1);
    for (const id of [web.id, 'default/web-pods-1:web']) {
      for (const node of [undefined, addresses[0]]) {
        const text = await logs({id}, node);
        const lines = text.trimEnd().split('\n');
        assert.ok(lines.some((line) => /^\S+Z stdout F hello from web$/.test(line)), text);
        assert.ok(lines.some((line) => /^\S+Z stderr F to stderr$/.test(line)), text);
      }
    }
    assert.equal((await logs({id: web.id, tailLines: 1})).split('\n').length, 2);
    await rejectsWith(collect(machine().logs({namespace: 'k8s.io', driver: CRI, id: 'default/web-pods-1', tailLines: -1})), grpc.status.UNKNOWN, 'no log available');
    await rejectsWith(collect(machine().logs({namespace: 'k8s.io', driver: CRI, id: 'default/nope:web', tailLines: -1})), grpc.status.UNKNOWN, 'container "default/nope:web" not found');
  });

  it('follows a container log until the client cancels', async () => {
    const web = (await containers()).find((row) => row.podId === 'default/web-pods-1' && row.status === 'CONTAINER_RUNNING');
    const call = machine().logs({namespace: 'k8s.io', driver: CRI, id: web.id, follow: true, tailLines: -1}, metadataOf({node: addresses[0]}));
    let received = '';
    let ended = false;
    const finished = new Promise((resolve) => {
      call.on('data', (data) => (received += Buffer.from(data.bytes).toString()));
      call.on('end', () => (ended = true));
      call.on('error', resolve);
    });
    await eventually(() => assert.match(received, /hello from web\n/), 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(ended, false, 'a followed log does not end by itself');
    call.cancel();
    assert.equal((await finished).code, grpc.status.CANCELLED);
  });

  it('logs the manifest without containers in the kubelet log, as kubelet words it', async () => {
    const text = Buffer.concat(
      (await collect(machine().logs({namespace: 'system', driver: 0, id: 'kubelet', follow: false, tailLines: -1}))).map((data) => data.bytes),
    ).toString();
    const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line));
    const problem = lines.find((line) => line.path === '/etc/kubernetes/manifests/talos-default-empty.yaml');
    assert.deepEqual({...problem, ts: undefined}, {
      ts: undefined,
      caller: 'config/file.go:187',
      msg: 'Could not process manifest file',
      path: '/etc/kubernetes/manifests/talos-default-empty.yaml',
      err: 'invalid pod: [spec.containers: Required value]',
    });
    assert.equal(typeof problem.ts, 'number');
    assert.ok(lines.some((line) => line.path === '/etc/kubernetes/manifests/broken.yaml' && /couldn't parse as pod/.test(line.err)));
  });

  it('runs the kubelet as a service: restart keeps the pods running and re-adopts them; stop is refused', async () => {
    const service = async () => (await unary(machine(), 'serviceList', {})).messages[0].services.find((entry) => entry.id === 'kubelet');
    await eventually(async () => {
      const kubelet = await service();
      assert.equal(kubelet.state, 'Running');
      // Healthy while its sync loop runs (first check 2 s after the start, as Talos checks kubelet).
      assert.equal(kubelet.health.healthy, true);
    }, 8000);
    const before = (await containers()).filter((row) => row.status === 'CONTAINER_RUNNING');
    await rejectsWith(unary(machine(), 'serviceStop', {id: 'kubelet'}), grpc.status.UNKNOWN, `service "kubelet" doesn't support stop operation via API`);
    const restarted = await unary(machine(), 'serviceRestart', {id: 'kubelet'});
    assert.equal(restarted.messages[0].resp, 'Service "kubelet" restarted');
    await eventually(async () => {
      assert.equal((await service()).state, 'Running');
      assert.equal(readyOf(await podStatus('default/web-pods-1')), 'True');
    }, 10_000);
    const after = (await containers()).filter((row) => row.status === 'CONTAINER_RUNNING');
    assert.deepEqual(after.map((row) => [row.id, row.pid]).sort(), before.map((row) => [row.id, row.pid]).sort());
    assert.deepEqual((await podStatus('default/web-pods-1')).containerStatuses[0].restartCount, 1);
    const kubeletLog = Buffer.concat((await collect(machine().logs({namespace: 'system', driver: 0, id: 'kubelet', tailLines: -1}))).map((data) => data.bytes)).toString();
    assert.match(kubeletLog, /"msg":"Adopted running pod","pod":"default\/web-pods-1"/);
  });

  it('stops every container process when osd stops', async () => {
    const pids = (await containers()).filter((row) => row.status === 'CONTAINER_RUNNING').map((row) => row.pid);
    assert.equal(pids.length, 2);
    await agents[0].stop();
    agents.shift();
    for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} outlived osd`);
  });
});

describe('static pods in an osd process', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-static-pods-process-'));
  after(() => fs.rmSync(root, {recursive: true, force: true}));

  it('leaves no container process behind after SIGTERM', async () => {
    const address = '127.45.1.1';
    const ca = await generateCA({organization: 'talos', ttlMs: DAY});
    const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
    const port = await freePort([address]);
    const stateDir = await stateDirWithPods(root, {name: 'solo', address, type: 'controlplane', ca, cluster: 'osd-pods'}, [PODS[0]]);
    const osd = osdProcess(['--state-dir', stateDir, '--address', address, '--port', String(port)]);
    const client = new MachineClient(`${address}:${port}`, clientCredentials(ca, admin));
    let pid;
    try {
      pid = await eventually(async () => {
        const rows = (await unary(client, 'containers', {namespace: 'k8s.io', driver: CRI})).messages[0].containers;
        const running = rows.find((row) => row.status === 'CONTAINER_RUNNING');
        assert.ok(running);
        return running.pid;
      }, 20_000);
      assert.ok(alive(pid));
      osd.child.kill('SIGTERM');
      assert.equal(await osd.exited, 0, osd.output.stderr);
      assert.equal(alive(pid), false, `container process ${pid} outlived osd`);
    } finally {
      client.close();
      if (osd.child.exitCode === null && osd.child.signalCode === null) {
        osd.child.kill('SIGKILL');
        await osd.exited;
      }
      await endRecordedProcessGroups(stateDir);
    }
  });
});
