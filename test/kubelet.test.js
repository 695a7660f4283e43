// The kubelet over the process runtime, without an agent around it: manifests added, changed and
// removed; bad manifests logged as kubelet logs them; restart policies, restart counts and
// back-off; StaticPodStatus resources; re-adoption of running pods by a restarted kubelet.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {after, describe, it} from 'node:test';
import {createNodeStore} from '../dist/agent/controllers/resource-types.js';
import {ProcessRuntime} from '../dist/agent/cri/process-runtime.js';
import {Kubelet} from '../dist/agent/kubelet/kubelet.js';
import {isAlive as alive} from './helpers/cli.js';

const STATUS = 'StaticPodStatuses.kubernetes.talos.dev';
const scratch = fs.mkdtempSync(path.join(tmpdir(), 'osd-kubelet-'));
const runtimes = [];
after(async () => {
  for (const runtime of runtimes) await runtime.shutdown(1000);
  fs.rmSync(scratch, {recursive: true, force: true});
});

function setup(name) {
  const root = path.join(scratch, name);
  const manifests = path.join(root, 'etc/kubernetes/manifests');
  fs.mkdirSync(manifests, {recursive: true});
  const runtime = new ProcessRuntime();
  runtimes.push(runtime);
  const store = createNodeStore();
  const log = [];
  const options = {
    root,
    nodename: 'node-1',
    hostIP: '127.45.0.1',
    runtime,
    store,
    log: {write: (data) => log.push(...data.trimEnd().split('\n').map((line) => JSON.parse(line)))},
    resyncMs: 100,
    backoff: {initialMs: 400, maxMs: 1600},
  };
  const write = (file, text) => fs.writeFileSync(path.join(manifests, file), text);
  const status = (id) => store.get({namespace: 'k8s', type: STATUS, id})?.spec;
  return {root, manifests, runtime, store, log, options, write, status};
}

function pod(name, {command = '["/bin/sleep", "300"]', restartPolicy, extra = ''} = {}) {
  return [
    'apiVersion: v1',
    'kind: Pod',
    `metadata: {name: ${name}}`,
    'spec:',
    ...(restartPolicy === undefined ? [] : [`  restartPolicy: ${restartPolicy}`]),
    '  terminationGracePeriodSeconds: 1',
    '  containers:',
    `    - {name: main, image: "docker.io/library/busybox:1.36", command: ${command}${extra}}`,
    '',
  ].join('\n');
}

async function waitFor(condition, what, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const ready = (status) => status?.conditions.find((condition) => condition.type === 'Ready')?.status === 'True';
const mainStatus = (status) => status?.containerStatuses[0];

describe('kubelet', () => {
  it('runs a pod per manifest, logs bad manifests without disturbing it, and restarts a killed container', async () => {
    const t = setup('basic');
    t.write('talos-default-web.yaml', pod('web'));
    t.write('talos-default-empty.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: empty\nspec: {}\n');
    t.write('broken.yaml', 'kind: Pod\nmetadata: {name: [\n');
    const kubelet = new Kubelet(t.options);
    await kubelet.start();
    try {
      const status = await waitFor(() => ready(t.status('default/web-node-1')) && t.status('default/web-node-1'), 'web ready');
      assert.equal(status.phase, 'Running');
      assert.equal(status.hostIP, '127.45.0.1');
      assert.equal(status.podIP, '127.45.0.1');
      assert.equal(status.qosClass, 'BestEffort');
      assert.equal(mainStatus(status).restartCount, 0);
      assert.equal(mainStatus(status).image, 'docker.io/library/busybox:1.36');
      assert.ok(mainStatus(status).state.running.startedAt);
      assert.deepEqual(kubelet.podIds(), ['default/web-node-1']);

      const bad = t.log.filter((line) => line.msg === 'Could not process manifest file');
      assert.deepEqual(
        bad.map(({caller, path: file, err}) => ({caller, path: file, err})).sort((a, b) => (a.path < b.path ? -1 : 1)),
        [
          {
            caller: 'config/file.go:187',
            path: '/etc/kubernetes/manifests/broken.yaml',
            err: bad.find((line) => line.path.endsWith('broken.yaml')).err,
          },
          {caller: 'config/file.go:187', path: '/etc/kubernetes/manifests/talos-default-empty.yaml', err: 'invalid pod: [spec.containers: Required value]'},
        ],
      );
      assert.match(bad.find((line) => line.path.endsWith('broken.yaml')).err, /^\/etc\/kubernetes\/manifests\/broken\.yaml: couldn't parse as pod\(yaml: /);
      assert.equal(typeof bad[0].ts, 'number');
      // Reported once, not at every resync.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(t.log.filter((line) => line.msg === 'Could not process manifest file').length, 2);

      const [container] = t.runtime.listContainers().filter((c) => c.state === 'CONTAINER_RUNNING');
      const firstPid = container.pid;
      process.kill(firstPid, 'SIGKILL');
      const restarted = await waitFor(() => mainStatus(t.status('default/web-node-1'))?.restartCount === 1 && ready(t.status('default/web-node-1')) && t.status('default/web-node-1'), 'first restart');
      assert.equal(mainStatus(restarted).lastState.terminated.exitCode, 137);
      const second = t.runtime.listContainers().find((c) => c.state === 'CONTAINER_RUNNING');
      assert.notEqual(second.pid, firstPid);
      assert.equal(path.basename(second.logPath), '1.log');

      // A second crash in a row waits for the back-off, shown as CrashLoopBackOff.
      process.kill(second.pid, 'SIGTERM');
      const backingOff = await waitFor(() => mainStatus(t.status('default/web-node-1'))?.state.waiting?.reason === 'CrashLoopBackOff' && t.status('default/web-node-1'), 'back-off');
      assert.match(mainStatus(backingOff).state.waiting.message, /^back-off 400ms restarting failed container=main pod=web-node-1_default\([0-9a-f]{32}\)$/);
      assert.equal(ready(backingOff), false);
      assert.equal(mainStatus(backingOff).lastState.terminated.exitCode, 143);
      await waitFor(() => mainStatus(t.status('default/web-node-1'))?.restartCount === 2 && ready(t.status('default/web-node-1')), 'second restart');
      // Kubernetes keeps one dead instance per container.
      assert.equal(t.runtime.listContainers().length, 2);
    } finally {
      await kubelet.stop();
    }
    assert.equal(t.store.list('k8s', STATUS).length, 0);
  });

  it('recreates a pod whose manifest changed and destroys one whose manifest was removed', async () => {
    const t = setup('changes');
    t.write('a.yaml', pod('a'));
    const kubelet = new Kubelet(t.options);
    await kubelet.start();
    try {
      await waitFor(() => ready(t.status('default/a-node-1')), 'a ready');
      const before = t.runtime.listContainers()[0];
      t.write('a.yaml', pod('a', {extra: ', env: [{name: X, value: "1"}]'}));
      await waitFor(() => !alive(before.pid), 'old container stopped');
      await waitFor(() => t.runtime.listContainers().some((c) => c.state === 'CONTAINER_RUNNING' && c.id !== before.id), 'new container');
      assert.equal(t.runtime.listPodSandboxes().length, 1);
      assert.notEqual(t.runtime.listPodSandboxes()[0].id, before.sandboxId);
      await waitFor(() => ready(t.status('default/a-node-1')), 'a ready again');

      const current = t.runtime.listContainers()[0];
      fs.unlinkSync(path.join(t.manifests, 'a.yaml'));
      await waitFor(() => t.runtime.listPodSandboxes().length === 0, 'pod removed');
      assert.equal(alive(current.pid), false);
      assert.equal(t.status('default/a-node-1'), undefined);
    } finally {
      await kubelet.stop();
    }
  });

  it('honours restartPolicy Never and OnFailure, and explains a container without command', async () => {
    const t = setup('policies');
    t.write('never.yaml', pod('never', {command: '["/bin/sh", "-c", "exit 0"]', restartPolicy: 'Never'}));
    t.write('onfailure.yaml', pod('onfailure', {command: '["/bin/sh", "-c", "exit 2"]', restartPolicy: 'OnFailure'}));
    t.write('nocommand.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: nginx}\nspec:\n  containers: [{name: nginx, image: nginx}]\n');
    const kubelet = new Kubelet(t.options);
    await kubelet.start();
    try {
      const never = await waitFor(() => t.status('default/never-node-1')?.phase === 'Succeeded' && t.status('default/never-node-1'), 'never succeeded');
      assert.equal(mainStatus(never).state.terminated.exitCode, 0);
      assert.equal(mainStatus(never).state.terminated.reason, 'Completed');
      assert.equal(mainStatus(never).restartCount, 0);
      await waitFor(() => mainStatus(t.status('default/onfailure-node-1'))?.restartCount >= 2, 'onfailure restarts');
      const nginx = t.status('default/nginx-node-1');
      assert.equal(nginx.phase, 'Pending');
      assert.equal(mainStatus(nginx).state.waiting.reason, 'CreateContainerError');
      assert.match(mainStatus(nginx).state.waiting.message, /osd runs containers as host processes/);
      assert.ok(t.log.some((line) => line.pod === 'default/nginx-node-1' && /CreateContainerError: osd runs containers as host processes/.test(line.err)));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(mainStatus(t.status('default/never-node-1')).restartCount, 0);
    } finally {
      await kubelet.stop();
    }
  });

  it('a restarted kubelet adopts running pods with unchanged manifests and removes pods whose manifest went away', async () => {
    const t = setup('adopt');
    t.write('keep.yaml', pod('keep'));
    t.write('drop.yaml', pod('drop'));
    const first = new Kubelet(t.options);
    await first.start();
    await waitFor(() => ready(t.status('default/keep-node-1')) && ready(t.status('default/drop-node-1')), 'pods ready');
    const byPod = (name) => t.runtime.listContainers().find((c) => t.runtime.podSandbox(c.sandboxId).name === `${name}-node-1`);
    const keepPid = byPod('keep').pid;
    const dropPid = byPod('drop').pid;
    await first.stop();
    assert.equal(t.store.list('k8s', STATUS).length, 0);
    assert.ok(alive(keepPid) && alive(dropPid), 'pods keep running while the kubelet is stopped');

    fs.unlinkSync(path.join(t.manifests, 'drop.yaml'));
    const second = new Kubelet(t.options);
    await second.start();
    try {
      await waitFor(() => ready(t.status('default/keep-node-1')), 'keep adopted');
      assert.equal(byPod('keep').pid, keepPid);
      assert.equal(mainStatus(t.status('default/keep-node-1')).restartCount, 0);
      await waitFor(() => !alive(dropPid), 'drop stopped');
      assert.equal(t.runtime.listPodSandboxes().length, 1);
      assert.ok(t.log.some((line) => line.msg === 'Adopted running pod' && line.pod === 'default/keep-node-1'));
      // The adopted pod is supervised as before.
      process.kill(keepPid, 'SIGKILL');
      await waitFor(() => mainStatus(t.status('default/keep-node-1'))?.restartCount === 1 && ready(t.status('default/keep-node-1')), 'adopted pod restarted');
    } finally {
      await second.stop();
    }
  });

  it('moves a pod to its renamed manifest at once, reporting no clash with the name that is gone', async () => {
    const t = setup('rename');
    t.write('a.yaml', pod('web'));
    const kubelet = new Kubelet(t.options);
    await kubelet.start();
    try {
      await waitFor(() => ready(t.status('default/web-node-1')), 'web ready');
      fs.renameSync(path.join(t.manifests, 'a.yaml'), path.join(t.manifests, 'b.yaml'));
      await waitFor(
        () => t.runtime.listPodSandboxes().some((sandbox) => sandbox.state === 'SANDBOX_READY' && sandbox.annotations['kubernetes.io/config.source.file'] === 'b.yaml'),
        'pod of b.yaml',
      );
      await waitFor(() => ready(t.status('default/web-node-1')), 'web ready again');
      assert.deepEqual(t.log.filter((line) => line.msg === 'Could not process manifest file'), []);
    } finally {
      await kubelet.stop();
    }
  });

  it('a container exit while the runtime shuts down under a running kubelet does not crash osd', async () => {
    const t = setup('runtime-closing');
    t.write('web.yaml', pod('web'));
    const kubelet = new Kubelet({...t.options, backoff: {initialMs: 0, maxMs: 0}});
    await kubelet.start();
    const unhandled = [];
    const onUnhandled = (reason) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await waitFor(() => ready(t.status('default/web-node-1')), 'web ready');
      // The restart policy sees the exit the shutdown causes, and the sandbox is no longer ready.
      await t.runtime.shutdown(1000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(unhandled.map(String), []);
      assert.ok(t.log.some((line) => line.msg === 'Error syncing pod, skipping' && /shutting down|not ready/.test(line.err)), JSON.stringify(t.log.slice(-3)));
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await kubelet.stop();
    }
  });
});
