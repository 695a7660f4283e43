// The troubleshooting commands against real osd agents: a local cluster made by
// `osctl cluster create --config-patch` with a static pod (127.46.5.x: one control plane, two
// workers), as an operator uses them: service on three nodes, a refused stop, containers -k with
// a live process behind it, logs -k through a forwarding hop, restart -k and the restart count.
// Then an extension service on an osd process of its own (127.46.6.2; the service file must be in
// place before osd starts): service <id> restart, its detail view, containers, logs and restart.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {createCluster, discardCluster, isAlive, makeHome, osctl, osctlSpawn, root as repo} from './helpers/cli.js';
import {prepareCluster} from './helpers/osd-processes.js';
import {endRecordedProcessGroups} from './helpers/process-groups.js';
import {eventually as eventuallyWithin} from './helpers/agents.js';

const NAME = 'h3e2e';
const CP = '127.46.5.2';
const W1 = '127.46.5.3';
const W2 = '127.46.5.4';
const ALL = `${CP},${W1},${W2}`;
const POD = `default/ticker-${NAME}-worker-1`;

const PATCH = `machine:
  pods:
    - apiVersion: v1
      kind: Pod
      metadata:
        name: ticker
      spec:
        containers:
          - name: ticker
            image: busybox
            command: [sh, -c, "while true; do echo tick; sleep 0.2; done"]
`;

const user = makeHome('osctl-h3-e2e-');
const run = (args) => osctl(args, {env: user.env, timeoutMs: 60_000});

/** Retries `check` every 250 ms (each try may start osctl) for up to `timeoutMs`. */
const eventually = (check, timeoutMs = 20_000) => eventuallyWithin(check, timeoutMs, 250);

/** The worker-1 pod's rows of `containers -k -o json`. */
async function podContainers() {
  const r = await run(['-n', W1, 'containers', '-k', '-o', 'ndjson']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)).filter((c) => c.podId === POD);
}

before(async () => {
  const patch = path.join(user.home, 'pod.yaml');
  fs.writeFileSync(patch, PATCH);
  await createCluster(user, ['--name', NAME, '--cidr', '127.46.5.0/24', '--controlplanes', '1', '--workers', '2', '--config-patch-worker', `@${patch}`]);
});

after(async () => {
  await discardCluster(user, NAME);
});

describe('troubleshooting a local cluster', () => {
  it('service on three nodes: every node\'s services, sorted by id, in talosctl\'s layout', async () => {
    const r = await run(['-n', ALL, 'service']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^NODE +SERVICE +STATE +HEALTH +LAST CHANGE +LAST EVENT$/);
    for (const node of [CP, W1, W2]) {
      const ids = lines.filter((l) => l.startsWith(`${node} `)).map((l) => l.split(/ {3,}/)[1]);
      for (const id of ['apid', 'cri', 'kubelet', 'machined']) assert.ok(ids.includes(id), `${node}: ${ids}`);
      assert.deepEqual(ids, [...ids].sort(), 'sorted by id');
    }
    assert.match(r.stdout, new RegExp(`^${CP.replaceAll('.', '\\.')} +apid +Running +`, 'm'));
  });

  it('service kubelet stop is refused as Talos refuses it; the header is there all the same', async () => {
    const r = await run(['-n', `${CP},${W1}`, 'service', 'kubelet', 'stop']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'NODE   RESPONSE\n');
    for (const node of [CP, W1]) {
      assert.match(r.stderr, new RegExp(`^error from node ${node.replaceAll('.', '\\.')}: rpc error: code = Unknown desc = service "kubelet" doesn't support stop operation via API$`, 'm'));
    }
  });

  it('service kubelet shows the detail view with its events, newest first', async () => {
    // Until the first health check (2 s in) the health is unknown with the message "Unknown": the
    // LAST HEALTH MESSAGE row is there and widens the label column. Once healthy, it is gone.
    const r = await eventually(async () => {
      const out = await run(['-n', W1, 'service', 'kubelet']);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /^HEALTH {3}OK$/m);
      return out;
    });
    assert.match(r.stdout, /^NODE {5}127\.46\.5\.3\nID {7}kubelet\nSTATE {4}Running\nHEALTH {3}OK\nEVENTS {3}\[Running\]: Health check successful \(\d+s ago\)\n {9}\[Running\]: /);
    assert.doesNotMatch(r.stdout, /LAST HEALTH MESSAGE/);
  });

  it('containers -k: the sandbox and its running container in the tree, a live process behind it', async () => {
    const rows = await eventually(async () => {
      const found = await podContainers();
      assert.ok(found.some((c) => c.status === 'CONTAINER_RUNNING'), JSON.stringify(found));
      return found;
    });
    const container = rows.find((c) => c.status === 'CONTAINER_RUNNING');
    assert.ok(isAlive(container.pid), `pid ${container.pid} is alive`);
    const table = await run(['-n', W1, 'containers', '-k']);
    assert.match(table.stdout, new RegExp(`^${W1.replaceAll('.', '\\.')} +k8s\\.io +${POD} +`, 'm'));
    assert.match(table.stdout, new RegExp(`^${W1.replaceAll('.', '\\.')} +k8s\\.io +\u2514\u2500 ${POD}:ticker:[0-9a-f]{12} +busybox +${container.pid} +CONTAINER_RUNNING$`, 'm'));
  });

  it('logs -k through a forwarding hop: CRI lines with the node prefix; --tail and --since', async () => {
    const r = await eventually(async () => {
      const out = await run(['-n', W1, 'logs', '-k', `${POD}:ticker`, '--tail', '2']);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(out.stdout.split('\n').length, 3, out.stdout);
      return out;
    });
    for (const line of r.stdout.trimEnd().split('\n')) assert.match(line, /^127\.46\.5\.3: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z stdout F tick$/);
    const since = await run(['-n', W1, 'logs', '-k', `${POD}:ticker`, '--since', '1s']);
    const lines = since.stdout.trimEnd().split('\n');
    assert.ok(lines.length >= 1 && lines.length <= 10, `about five lines a second: ${lines.length}`);
  });

  it('logs -k -f follows until Ctrl-C', async () => {
    const child = osctlSpawn(['-n', W1, 'logs', '-k', `${POD}:ticker`, '-f', '--tail', '0'], {env: user.env});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
    await eventually(() => assert.ok(stdout.split('\n').length > 3, stdout), 10_000);
    process.kill(child.pid, 'SIGINT');
    assert.equal(await exited, 130);
    assert.equal(stderr, '');
  });

  it('restart -k kills the container; the kubelet starts it again and the restart count rises', async () => {
    const before = (await podContainers()).find((c) => c.status === 'CONTAINER_RUNNING');
    const r = await run(['-n', W1, 'restart', '-k', before.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const after = await eventually(async () => {
      const running = (await podContainers()).find((c) => c.status === 'CONTAINER_RUNNING');
      assert.ok(running && running.id !== before.id, 'a new container runs');
      return running;
    });
    assert.ok(isAlive(after.pid));
    assert.ok(!isAlive(before.pid), 'the old process is gone');
    const status = await run(['-n', W1, 'get', 'staticpodstatus', '-o', 'json']);
    const counts = JSON.parse(status.stdout).spec.containerStatuses.map((c) => c.restartCount);
    assert.ok(counts[0] >= 1, `restartCount ${counts}`);
  });

  it('logs of a service on three nodes, and a log id no node has', async () => {
    const r = await run(['-n', ALL, 'logs', 'controller-runtime', '--tail', '1']);
    assert.equal(r.code, 0, r.stderr);
    for (const node of [CP, W1, W2]) {
      const lines = r.stdout.split('\n').filter((l) => l.startsWith(`${node}: `));
      assert.equal(lines.length, 1, r.stdout);
      assert.match(lines[0], /^\S+: \d{4}-\d\d-\d\dT[\d:.]+Z /, 'osd\'s own log lines start with their time');
    }
    const missing = await run(['-n', W2, 'logs', 'no-such-service']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error from node 127\.46\.5\.4: rpc error: code = Unknown desc = log "no-such-service" was not registered\n  hint: /);
  });
});

const EXT_NODE = '127.46.6.2';

describe('an extension service', () => {
  const ext = makeHome('osctl-h3-ext-');
  let osd;
  const runExt = (args) => osctl(['-n', EXT_NODE, ...args], {env: ext.env, timeoutMs: 60_000});

  before(async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osctl-h3-ext-state-'));
    ext.root = root;
    const cluster = await prepareCluster(root, [['ext-node', EXT_NODE, 'controlplane']]);
    const [stateDir] = cluster.stateDirs;
    ext.stateDir = stateDir;
    fs.mkdirSync(path.join(stateDir, 'usr/local/etc/containers'), {recursive: true});
    fs.writeFileSync(path.join(stateDir, 'usr/local/etc/containers/hello-world.yaml'),
      'name: hello-world\ncontainer:\n  entrypoint: ./hello\nrestart: always\n');
    const rootfs = path.join(stateDir, 'usr/local/lib/containers/hello-world');
    fs.mkdirSync(rootfs, {recursive: true});
    fs.writeFileSync(path.join(rootfs, 'hello'), '#!/bin/sh\necho "hello from $$"\nwhile :; do sleep 0.2; done\n', {mode: 0o755});
    const b64 = (text) => Buffer.from(text).toString('base64');
    fs.mkdirSync(path.join(ext.home, '.talos'), {recursive: true});
    fs.writeFileSync(ext.talosconfig, [
      'context: ext', 'contexts:', '  ext:', `    endpoints: ["${EXT_NODE}:${cluster.port}"]`, `    nodes: ["${EXT_NODE}"]`,
      `    ca: ${b64(cluster.ca.crt)}`, `    crt: ${b64(cluster.admin.crt)}`, `    key: ${b64(cluster.admin.key)}`, '',
    ].join('\n'));
    osd = spawn(process.execPath, [path.join(repo, 'bin', 'osd.js'), '--state-dir', stateDir, '--address', EXT_NODE,
      '--port', String(cluster.port), '--discovery-dir', cluster.discoveryDir], {stdio: ['ignore', 'pipe', 'pipe']});
    await new Promise((resolve, reject) => {
      osd.stdout.on('data', (chunk) => String(chunk).includes('osd listening on') && resolve());
      osd.on('exit', (code) => reject(new Error(`osd exited with ${code}`)));
    });
  });

  after(async () => {
    if (osd.exitCode === null && osd.signalCode === null) {
      const exited = new Promise((resolve) => osd.once('exit', resolve));
      osd.kill('SIGTERM'); // osd stops its services first
      const killer = setTimeout(() => osd.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
    await endRecordedProcessGroups(ext.stateDir); // what a SIGKILLed osd left running
    fs.rmSync(ext.root, {recursive: true, force: true});
    fs.rmSync(ext.home, {recursive: true, force: true});
  });

  /** The service's process as `containers` shows it (system namespace). */
  async function helloProcess() {
    const r = await runExt(['containers', '-o', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
    const row = rows.find((c) => c.id === 'ext-hello-world');
    assert.ok(row && row.status === 'RUNNING' && isAlive(row.pid), JSON.stringify(rows));
    return row;
  }

  it('runs, shows its events and its process, and restarts through service <id> restart', async () => {
    const first = await eventually(helloProcess);
    const table = await runExt(['containers']);
    assert.match(table.stdout, new RegExp(`^127\\.46\\.6\\.2 +system +ext-hello-world +${first.pid} +RUNNING$`, 'm'));
    const restarted = await runExt(['service', 'ext-hello-world', 'restart']);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.equal(restarted.stdout, 'NODE         RESPONSE\n127.46.6.2   Service "ext-hello-world" restarted\n');
    const second = await eventually(async () => {
      const row = await helloProcess();
      assert.notEqual(row.pid, first.pid);
      return row;
    });
    assert.ok(!isAlive(first.pid), 'the old process is gone');
    const detail = await runExt(['service', 'ext-hello-world']);
    assert.match(detail.stdout, /^NODE {5}127\.46\.6\.2\nID {7}ext-hello-world\nSTATE {4}Running\nHEALTH {3}\?\nEVENTS {3}\[Running\]: /);
    assert.match(detail.stdout, new RegExp(`\\[Running\\]: Started task ext-hello-world \\(PID ${second.pid}\\) for container ext-hello-world \\(\\d+s ago\\)`));
    const logs = await runExt(['logs', 'ext-hello-world']);
    assert.match(logs.stdout, new RegExp(`^127\\.46\\.6\\.2: hello from ${first.pid}\\n127\\.46\\.6\\.2: hello from ${second.pid}\\n$`));
  });

  it('restart (system) ends the process; the restart policy brings the service back', async () => {
    const before = await eventually(helloProcess);
    const r = await runExt(['restart', 'ext-hello-world']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    await eventually(async () => {
      const row = await helloProcess();
      assert.notEqual(row.pid, before.pid);
    }, 20_000);
    const missing = await runExt(['restart', 'no-such-process']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error restarting process on node 127\.46\.6\.2: rpc error: code = Unknown desc = container "no-such-process" not found$/m);
  });
});
