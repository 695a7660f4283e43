// Unit tests of the static pod pieces: manifest reading and validation texts, manifest rendering,
// CRI log writing and reading (tail from the end of a large file, follow), the process runtime.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {after, describe, it} from 'node:test';
import {createNodeStore} from '../dist/agent/controllers/resource-types.js';
import {CriLogWriter, criTimestamp, readLogFile} from '../dist/agent/cri/cri-log.js';
import {ProcessRuntime} from '../dist/agent/cri/process-runtime.js';
import {ProcessGroupRecords} from '../dist/machinery/process-groups.js';
import {withVariablesExpanded} from '../dist/agent/kubelet/kubelet.js';
import {containerLogs, containerMethods} from '../dist/agent/server/container-methods.js';
import {MachineServiceService} from '../dist/machinery/api/machine/machine.js';
import {applyStaticPods, renderStaticPods} from '../dist/agent/kubelet/manifests.js';
import {ManifestError, readPodManifest} from '../dist/agent/kubelet/pod-validation.js';
import {parseMachineConfig} from '../dist/machinery/machineconfig/parse.js';
import {isAlive as alive} from './helpers/cli.js';

const scratch = fs.mkdtempSync(path.join(tmpdir(), 'osd-kubelet-units-'));
after(() => fs.rmSync(scratch, {recursive: true, force: true}));

const MANIFEST = '/etc/kubernetes/manifests/talos-default-x.yaml';

function manifestError(text) {
  try {
    readPodManifest(text, MANIFEST);
  } catch (error) {
    assert.ok(error instanceof ManifestError, String(error));
    return error.message;
  }
  assert.fail('the manifest was accepted');
}

describe('static pod manifests as kubelet reads them', () => {
  it('reads a pod with defaults', () => {
    const pod = readPodManifest(
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: nginx\n      command: [/bin/sleep]\n      args: ["60"]\n      env: [{name: A, value: b}]\n',
      MANIFEST,
    );
    assert.deepEqual(pod, {
      name: 'web',
      namespace: 'default',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      containers: [{name: 'web', image: 'nginx', command: ['/bin/sleep'], args: ['60'], env: [{name: 'A', value: 'b'}]}],
    });
  });

  it('words validation errors as Kubernetes does, all in one list', () => {
    assert.equal(manifestError('apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\nspec: {}\n'), 'invalid pod: [spec.containers: Required value]');
    assert.equal(
      manifestError('apiVersion: v1\nkind: Pod\nmetadata: {}\nspec:\n  containers:\n    - {}\n'),
      'invalid pod: [metadata.name: Required value: name or generateName is required spec.containers[0].name: Required value spec.containers[0].image: Required value]',
    );
    assert.equal(
      manifestError('apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  restartPolicy: Sometimes\n  containers:\n    - {name: x, image: i}\n    - {name: x, image: i}\n'),
      'invalid pod: [spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never" spec.containers[1].name: Duplicate value: "x"]',
    );
    assert.match(manifestError('kind: Pod\nmetadata: {name: Bad_Name}\nspec: {containers: [{name: x, image: i}]}\n'), /^invalid pod: \[metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  });

  it('names a manifest that is not YAML, not a Pod, or has a field of the wrong type', () => {
    assert.match(manifestError('kind: Pod\nmetadata: {name: [\n'), /^\/etc\/kubernetes\/manifests\/talos-default-x\.yaml: couldn't parse as pod\(yaml: .+\), please check config file$/);
    assert.match(manifestError('apiVersion: v1\nkind: Deployment\n'), /couldn't parse as pod\(no kind "Deployment" is registered/);
    assert.match(
      manifestError('kind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: x, image: i, command: /bin/sh}]}\n'),
      /cannot unmarshal string into Go struct field Pod\.spec\.containers\.command of type \[\]string/,
    );
  });
});

describe('$(VAR) references as Kubernetes expands them', () => {
  it('expands env from earlier variables and command/args from all, keeps unknown references, unescapes $$', () => {
    const spec = withVariablesExpanded({
      name: 'c',
      image: 'i',
      command: ['echo', '$(A)', '$$(A)', '$(B)', '$(NOPE)'],
      args: ['cost: $$5'],
      env: [
        {name: 'B', value: 'early $(A)'},
        {name: 'A', value: '1'},
        {name: 'C', value: '$(A)2'},
      ],
    });
    assert.deepEqual(spec.command, ['echo', '1', '$(A)', 'early $(A)', '$(NOPE)']);
    assert.deepEqual(spec.args, ['cost: $5']);
    assert.deepEqual(spec.env.map((variable) => variable.value), ['early $(A)', '1', '12']);
  });
});

describe('manifest rendering from machine.pods', () => {
  const config = (pods) =>
    parseMachineConfig(
      new TextEncoder().encode(
        `version: v1alpha1\nmachine:\n  type: worker\n  pods: ${JSON.stringify(pods)}\ncluster:\n  controlPlane:\n    endpoint: https://127.0.0.1:6443\n`,
      ),
    );

  it('writes talos-<ns>-<name>.yaml, publishes StaticPods, and removes only stale talos-*.yaml on re-render', async () => {
    const root = path.join(scratch, 'render');
    const dir = path.join(root, 'etc/kubernetes/manifests');
    fs.mkdirSync(dir, {recursive: true});
    fs.writeFileSync(path.join(dir, 'operator.yaml'), 'kept');
    const store = createNodeStore();
    const pods = [
      {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'nginx'}, spec: {containers: [{name: 'nginx', image: 'nginx'}]}},
      {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'b', namespace: 'kube-system'}, spec: {containers: []}},
    ];
    assert.deepEqual(renderStaticPods(config(pods)).map((pod) => pod.fileName), ['talos-default-nginx.yaml', 'talos-kube-system-b.yaml']);
    let changes = await applyStaticPods(store, root, config(pods));
    assert.deepEqual(changes, {written: ['talos-default-nginx.yaml', 'talos-kube-system-b.yaml'], removed: []});
    assert.equal(
      fs.readFileSync(path.join(dir, 'talos-default-nginx.yaml'), 'utf8'),
      'apiVersion: v1\nkind: Pod\nmetadata:\n    name: nginx\nspec:\n    containers:\n        - image: nginx\n          name: nginx\n',
    );
    assert.deepEqual(store.list('k8s', 'StaticPods.kubernetes.talos.dev').map((r) => r.metadata.id), ['default-nginx', 'kube-system-b']);

    changes = await applyStaticPods(store, root, config([pods[0]]));
    assert.deepEqual(changes, {written: [], removed: ['talos-kube-system-b.yaml']});
    assert.deepEqual(fs.readdirSync(dir).sort(), ['operator.yaml', 'talos-default-nginx.yaml']);
    assert.deepEqual(store.list('k8s', 'StaticPods.kubernetes.talos.dev').map((r) => r.metadata.id), ['default-nginx']);
  });
});

const CRI_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z) (stdout|stderr) ([FP]) (.*)$/;

async function readAll(file, options) {
  const chunks = [];
  await readLogFile(file, {tailLines: -1, follow: false, signal: new AbortController().signal, ...options, send: async (chunk) => void chunks.push(chunk)});
  return chunks;
}

describe('CRI log files', () => {
  it('timestamps are RFC3339Nano in UTC without trailing zeros', () => {
    assert.match(criTimestamp(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/);
  });

  it('writes full lines per stream, partial pieces of long lines, and the unfinished last line at close', () => {
    const file = path.join(scratch, 'lines.log');
    const writer = new CriLogWriter(file, {maxLineBytes: 8, maxFileBytes: 1 << 20, maxFiles: 2});
    writer.write('stdout', Buffer.from('hel'));
    writer.write('stderr', Buffer.from('oops\n'));
    writer.write('stdout', Buffer.from('lo\nabcdefghijkl\nend'));
    writer.close();
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => {
      const match = CRI_LINE.exec(line);
      assert.ok(match, line);
      return match.slice(3).join(' ');
    });
    assert.deepEqual(lines, ['stderr F oops', 'stdout F hello', 'stdout P abcdefgh', 'stdout F ijkl', 'stdout F end']);
  });

  it('rotates by size, keeping maxFiles files', () => {
    const dir = path.join(scratch, 'rotate');
    fs.mkdirSync(dir);
    const writer = new CriLogWriter(path.join(dir, '0.log'), {maxLineBytes: 1024, maxFileBytes: 400, maxFiles: 3});
    for (let i = 0; i < 100; i++) writer.write('stdout', Buffer.from(`line ${i}\n`));
    writer.close();
    const files = fs.readdirSync(dir).sort();
    assert.equal(files.length, 3, files.join(' '));
    assert.ok(files.includes('0.log'));
    assert.ok(files.every((name) => name === '0.log' || /^0\.log\.\d{8}-\d{6}(\.\d+)?$/.test(name)), files.join(' '));
    assert.match(fs.readFileSync(path.join(dir, '0.log'), 'utf8'), /stdout F line 99\n$/);
  });

  it('loses lines, never throws, when the disk is full or the log folder is removed', () => {
    // /dev/full: every write fails with ENOSPC.
    const full = new CriLogWriter('/dev/full', {maxLineBytes: 1024, maxFileBytes: 10, maxFiles: 3});
    full.write('stdout', Buffer.from('lost\n'));
    full.close();
    assert.equal(full.dropped, 1);

    const dir = path.join(scratch, 'rotate-gone');
    fs.mkdirSync(dir);
    const writer = new CriLogWriter(path.join(dir, '0.log'), {maxLineBytes: 1024, maxFileBytes: 100, maxFiles: 3});
    fs.rmSync(dir, {recursive: true});
    for (let i = 0; i < 10; i++) writer.write('stdout', Buffer.from(`line ${i} of a log whose folder was removed\n`));
    writer.close();
  });

  it('keeps the newest rotated files when a fast writer rotates many times within one second', () => {
    const dir = path.join(scratch, 'rotate-fast');
    fs.mkdirSync(dir);
    // Every line fills the file: each write rotates.
    const writer = new CriLogWriter(path.join(dir, '0.log'), {maxLineBytes: 1024, maxFileBytes: 10, maxFiles: 3});
    for (let i = 0; i < 30; i++) writer.write('stdout', Buffer.from(`line ${i}\n`));
    writer.close();
    const rotated = fs.readdirSync(dir).filter((name) => name !== '0.log');
    const kept = rotated.map((name) => fs.readFileSync(path.join(dir, name), 'utf8').trimEnd().split(' ').slice(3).join(' ')).sort();
    assert.deepEqual(kept, ['line 28', 'line 29'], rotated.join(' '));
  });

  it('sends a file in chunks of at most 1024 bytes, and the last N lines', async () => {
    const file = path.join(scratch, 'tail.log');
    fs.writeFileSync(file, Array.from({length: 500}, (_, i) => `line ${i}\n`).join(''));
    const all = await readAll(file);
    assert.ok(all.every((chunk) => chunk.length <= 1024));
    assert.equal(Buffer.concat(all).toString(), fs.readFileSync(file, 'utf8'));
    assert.equal(Buffer.concat(await readAll(file, {tailLines: 3})).toString(), 'line 497\nline 498\nline 499\n');
    assert.equal(Buffer.concat(await readAll(file, {tailLines: 0})).toString(), '');
    assert.equal(Buffer.concat(await readAll(file, {tailLines: 9999})).length, fs.statSync(file).size);
    fs.appendFileSync(file, 'no newline');
    assert.equal(Buffer.concat(await readAll(file, {tailLines: 2})).toString(), 'line 499\nno newline');
  });

  it('tails a 4 GiB file as fast as a small one (reads backwards from the end)', async () => {
    const file = path.join(scratch, 'huge.log');
    const fd = fs.openSync(file, 'w');
    fs.ftruncateSync(fd, 4 * 1024 ** 3); // sparse: no disk used
    fs.writeSync(fd, 'a\nb\nc\n', 4 * 1024 ** 3);
    fs.closeSync(fd);
    const started = process.hrtime.bigint();
    assert.equal(Buffer.concat(await readAll(file, {tailLines: 2})).toString(), 'b\nc\n');
    assert.ok(process.hrtime.bigint() - started < 200_000_000n, 'tail took longer than 200 ms');
    fs.unlinkSync(file);
  });

  it('follows the open file as it grows, respecting the reader, until aborted', async () => {
    const file = path.join(scratch, 'follow.log');
    fs.writeFileSync(file, 'first\n');
    const abort = new AbortController();
    const received = [];
    let release;
    const reading = readLogFile(file, {
      tailLines: -1,
      follow: true,
      signal: abort.signal,
      pollMs: 50,
      send: async (chunk) => {
        received.push(chunk.toString());
        // A slow reader: the next read waits until this send is released.
        if (received.length === 2) await new Promise((resolve) => (release = resolve));
      },
    });
    await waitFor(() => received.length === 1);
    fs.appendFileSync(file, 'second\n');
    await waitFor(() => received.length === 2);
    fs.appendFileSync(file, 'third\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(received.length, 2, 'read on while the reader had no room');
    release();
    await waitFor(() => received.join('') === 'first\nsecond\nthird\n');
    abort.abort();
    await reading;
  });
});

async function waitFor(condition, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('process runtime', () => {
  const sandboxConfig = (name) => ({
    namespace: 'default',
    name,
    uid: `uid-${name}`,
    logDirectory: path.join(scratch, 'pods', name, 'logs'),
    podDirectory: path.join(scratch, 'pods', name, 'dir'),
    annotations: {},
  });

  it('runs command + args with env and workingDir in its own process group, logging CRI lines', async () => {
    const runtime = new ProcessRuntime();
    const sandbox = runtime.runPodSandbox(sandboxConfig('env'));
    assert.match(sandbox.id, /^[0-9a-f]{64}$/);
    const exits = [];
    runtime.onContainerExit((container) => exits.push(container));
    const container = runtime.createContainer(sandbox.id, {
      name: 'c',
      image: 'busybox',
      command: ['/bin/sh', '-c'],
      args: ['echo "$GREETING from $(pwd)"; echo oops >&2; exit 3'],
      env: [{name: 'GREETING', value: 'hi'}],
      workingDir: '/tmp',
      attempt: 0,
    });
    assert.equal(container.state, 'CONTAINER_CREATED');
    await runtime.startContainer(container.id);
    await waitFor(() => exits.length === 1);
    assert.equal(exits[0].state, 'CONTAINER_EXITED');
    assert.equal(exits[0].exitCode, 3);
    assert.equal(exits[0].reason, 'Error');
    await waitFor(() => fs.readFileSync(container.logPath, 'utf8').split('\n').length === 3);
    const lines = fs.readFileSync(container.logPath, 'utf8').trimEnd().split('\n').map((line) => CRI_LINE.exec(line).slice(3).join(' ')).sort();
    assert.deepEqual(lines, ['stderr F oops', 'stdout F hi from /tmp']);
    assert.equal(path.basename(container.logPath), '0.log');
    await runtime.shutdown(1000);
  });

  it('refuses a container without command, saying why, and reports a program that does not exist', async () => {
    const runtime = new ProcessRuntime();
    const sandbox = runtime.runPodSandbox(sandboxConfig('nocommand'));
    assert.throws(
      () => runtime.createContainer(sandbox.id, {name: 'c', image: 'nginx', command: [], args: [], env: [], attempt: 0}),
      (error) => error.reason === 'CreateContainerError' && /osd runs containers as host processes and cannot run the image "nginx"/.test(error.message),
    );
    const missing = runtime.createContainer(sandbox.id, {name: 'm', image: 'x', command: ['/nonexistent/program'], args: [], env: [], attempt: 0});
    await assert.rejects(runtime.startContainer(missing.id), /cannot run "\/nonexistent\/program": no such file or directory/);
    assert.equal(runtime.container(missing.id).state, 'CONTAINER_EXITED');
    assert.equal(runtime.container(missing.id).exitCode, 128);
    await runtime.shutdown(1000);
  });

  it('a container whose log file cannot be opened fails to start and ends exited, not stuck as created', async () => {
    const runtime = new ProcessRuntime();
    const sandbox = runtime.runPodSandbox(sandboxConfig('nolog'));
    const container = runtime.createContainer(sandbox.id, {name: 'c', image: 'x', command: ['/bin/true'], args: [], env: [], attempt: 0});
    fs.mkdirSync(container.logPath); // a folder where the log file goes
    let started;
    assert.doesNotThrow(() => (started = runtime.startContainer(container.id)));
    await assert.rejects(started, /cannot open the log file ".*0\.log": EISDIR/);
    assert.equal(runtime.container(container.id).state, 'CONTAINER_EXITED');
    assert.equal(runtime.container(container.id).reason, 'StartError');
    await runtime.shutdown(1000);
  });

  it('Restart of a k8s.io container that ignores SIGTERM kills it after the grace, as CRI StopContainer does', async () => {
    const runtime = new ProcessRuntime();
    const sandbox = runtime.runPodSandbox(sandboxConfig('restart-stubborn'));
    const container = runtime.createContainer(sandbox.id, {name: 'c', image: 'x', command: ['/bin/sh', '-c', 'trap "" TERM; echo up; while :; do sleep 1; done'], args: [], env: [], attempt: 0});
    try {
      await runtime.startContainer(container.id);
      await waitFor(() => fs.readFileSync(container.logPath, 'utf8').includes('up'));
      const methods = new Map(containerMethods({runtime, processes: () => [], restartGraceMs: 300}));
      const restart = methods.get(MachineServiceService.restart.path);
      const request = MachineServiceService.restart.requestSerialize({namespace: 'k8s.io', driver: 1, id: 'default/restart-stubborn:c'});
      await restart.handle(request, {signal: new AbortController().signal});
      assert.equal(runtime.container(container.id).state, 'CONTAINER_EXITED');
      assert.equal(runtime.container(container.id).exitCode, 137);
      // An exited container: nothing to stop, no error (CRI StopContainer is idempotent).
      await restart.handle(request, {signal: new AbortController().signal});
    } finally {
      await runtime.shutdown(300);
    }
  });

  it('stops containers on shutdown, SIGKILL after the grace period, and their children too', async () => {
    const runtime = new ProcessRuntime();
    const sandbox = runtime.runPodSandbox(sandboxConfig('stubborn'));
    const pidFile = path.join(scratch, 'child.pid');
    const container = runtime.createContainer(sandbox.id, {
      name: 'c',
      image: 'x',
      command: ['/bin/sh', '-c', `trap '' TERM; sleep 300 & echo $! > ${pidFile}; wait`],
      args: [],
      env: [],
      attempt: 0,
    });
    await runtime.startContainer(container.id);
    const pid = runtime.container(container.id).pid;
    await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '');
    const childPid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.ok(alive(pid) && alive(childPid));
    const started = Date.now();
    await runtime.shutdown(300);
    assert.ok(Date.now() - started >= 250);
    await waitFor(() => !alive(pid) && !alive(childPid));
    assert.equal(runtime.container(container.id).state, 'CONTAINER_EXITED');
    assert.equal(runtime.listPodSandboxes()[0].state, 'SANDBOX_NOTREADY');
  });

  it('records each running container in run/containers, so the next osd kills what one that died left behind, and only that', async () => {
    const records = path.join(scratch, 'records');
    const dead = new ProcessRuntime({groups: new ProcessGroupRecords(records)});
    const sandbox = dead.runPodSandbox(sandboxConfig('leftover'));
    const container = dead.createContainer(sandbox.id, {name: 'c', image: 'x', command: ['/bin/sleep', '300'], args: [], env: [], attempt: 0});
    await dead.startContainer(container.id);
    const pid = dead.container(container.id).pid;
    const [pidText, startTime, name] = fs.readFileSync(path.join(records, String(pid)), 'utf8').trim().split(' ');
    assert.deepEqual([Number(pidText), name], [pid, 'default/leftover/c']);
    assert.match(startTime, /^\d+$/);
    // A record whose PID now belongs to another process (here: this test) is not trusted.
    fs.writeFileSync(path.join(records, String(process.pid)), `${process.pid} 1 default/stale/c\n`);
    const leftovers = await new ProcessGroupRecords(records).killLeftovers();
    assert.deepEqual(leftovers, [{pgid: pid, name: 'default/leftover/c'}]);
    assert.ok(!alive(pid));
    assert.deepEqual(fs.readdirSync(records), []);
    await dead.shutdown(100);
  });

  it('forgets the record of a container once its process group has ended', async () => {
    const records = path.join(scratch, 'records-ended');
    const runtime = new ProcessRuntime({groups: new ProcessGroupRecords(records)});
    const sandbox = runtime.runPodSandbox(sandboxConfig('ended'));
    const container = runtime.createContainer(sandbox.id, {name: 'c', image: 'x', command: ['/bin/sleep', '300'], args: [], env: [], attempt: 0});
    await runtime.startContainer(container.id);
    assert.equal(fs.readdirSync(records).length, 1);
    await runtime.shutdown(1000);
    await waitFor(() => fs.readdirSync(records).length === 0);
  });

  it('resolves log ids as Talos does: ns/pod has no log, ns/pod:name the container, a third part anywhere in the id', async () => {
    const runtime = new ProcessRuntime();
    const sandbox = runtime.runPodSandbox(sandboxConfig('logs'));
    const start = async (attempt, text) => {
      const container = runtime.createContainer(sandbox.id, {name: 'app', image: 'x', command: ['/bin/sh', '-c', `echo ${text}`], args: [], env: [], attempt});
      const exited = new Promise((resolve) => runtime.onContainerExit((ended) => ended.id === container.id && resolve()));
      await runtime.startContainer(container.id);
      await exited;
      await waitFor(() => fs.readFileSync(container.logPath, 'utf8').includes(text));
      return container;
    };
    const older = await start(0, 'first run');
    await start(1, 'second run');
    const read = async (id, tailLines = -1) => {
      const chunks = [];
      await containerLogs(runtime)({namespace: 'k8s.io', driver: 1, id, follow: false, tailLines}, {send: async ({bytes}) => void chunks.push(bytes)}, new AbortController().signal);
      return Buffer.concat(chunks).toString();
    };
    await assert.rejects(read('default/logs'), {code: 2, details: 'no log available'});
    await assert.rejects(read('default/other:app'), {code: 2, details: 'container "default/other:app" not found'});
    await assert.rejects(read('default/logs:nope'), {code: 2, details: 'container "default/logs:nope" not found'});
    assert.match(await read('default/logs:app'), /^\S+Z stdout F second run\n$/);
    assert.match(await read(`default/logs:app:${older.id.slice(20, 30)}`), /^\S+Z stdout F first run\n$/);
    assert.equal(await read('default/logs:app', 0), '');
    await runtime.shutdown(100);
  });

  it('kills the containers when the osd process exits without stopping them', async () => {
    const dir = path.join(scratch, 'exiting');
    const script = `
      import {ProcessRuntime} from ${JSON.stringify(new URL('../dist/agent/cri/process-runtime.js', import.meta.url).href)};
      const runtime = new ProcessRuntime();
      const sandbox = runtime.runPodSandbox({namespace: 'default', name: 'p', uid: 'u', logDirectory: ${JSON.stringify(dir)} + '/logs', podDirectory: ${JSON.stringify(dir)} + '/pod', annotations: {}});
      const container = runtime.createContainer(sandbox.id, {name: 'c', image: 'x', command: ['/bin/sleep', '300'], args: [], env: [], attempt: 0});
      await runtime.startContainer(container.id);
      process.stdout.write(String(runtime.container(container.id).pid));
      process.exit(0);
    `;
    const pid = Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8', timeout: 20_000}));
    assert.ok(pid > 0);
    await waitFor(() => !alive(pid));
  });
});
