// Issue 6's "Done means", through the CLI only, on a local cluster (127.50.1.0/24: one control
// plane, two workers) made by `osctl cluster create --config-patch @file` with a static pod `nginx`
// and a pod without containers. Then the same cluster as operators and scripts use it: pipes into
// head, Ctrl-C on three nodes, a node that accepts TCP and never answers, hostile ids, --tail
// edge cases, and manifests edited by hand in the node's etc/kubernetes/manifests.
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {createCluster, discardCluster, isAlive, makeHome, osctl, osctlSpawn, runJs} from './helpers/cli.js';
import {eventually as eventuallyWithin} from './helpers/agents.js';

const NAME = 'h6acc';
const CP = '127.50.1.2';
const W1 = '127.50.1.3';
const W2 = '127.50.1.4';
const ALL = `${CP},${W1},${W2}`;
const SILENT = '127.50.1.200';
const HOSTNAME = `${NAME}-worker-1`;
const POD = `default/nginx-${HOSTNAME}`;
const re = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const PATCH = `machine:
  pods:
    - apiVersion: v1
      kind: Pod
      metadata:
        name: nginx
        namespace: default
      spec:
        containers:
          - name: nginx
            image: nginx
            command: [sh, -c, "echo nginx is up; while true; do sleep 0.2; echo serving; done"]
    - apiVersion: v1
      kind: Pod
      metadata:
        name: nginx-gvisor
      spec: {}
`;

const user = makeHome('osctl-h6-acc-');
const run = (args, options = {}) => osctl(args, {env: user.env, timeoutMs: 60_000, ...options});
const manifests = () => path.join(user.home, '.talos', 'clusters', NAME, `${NAME}-worker-1`, 'etc', 'kubernetes', 'manifests');

/** Retries `check` every 250 ms (each try may start osctl) for up to `timeoutMs`. */
const eventually = (check, timeoutMs = 20_000) => eventuallyWithin(check, timeoutMs, 250);

/** The nginx container row of `containers -k` on worker-1 (the table, parsed): id and PID. */
async function nginxRow() {
  const r = await run(['-n', W1, 'containers', '-k']);
  assert.equal(r.code, 0, r.stderr);
  const row = new RegExp(`^${re(W1)} +k8s\\.io +\u2514\u2500 (${re(POD)}:nginx:[0-9a-f]{12}) +nginx +(\\d+) +CONTAINER_RUNNING$`, 'm').exec(r.stdout);
  assert.ok(row, r.stdout);
  return {table: r.stdout, id: row[1], pid: Number(row[2])};
}

/** The nginx container's restartCount as `get staticpodstatus -o yaml` shows it. */
async function restartCount() {
  const r = await run(['-n', W1, 'get', 'staticpodstatus', POD, '-o', 'yaml']);
  assert.equal(r.code, 0, r.stderr);
  const count = /^ +restartCount: (\d+)$/m.exec(r.stdout);
  assert.ok(count, r.stdout);
  return Number(count[1]);
}

/** Runs `osctl <args> | <reader>` in bash: osctl's exit status, its stderr, the reader's output, how long it took. */
function pipeInto(args, reader) {
  const quoted = [process.execPath, runJs, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const script = `exec 3>&1; start=$(date +%s%N); ${quoted} 2>&3 | ${reader} >&2; echo "\${PIPESTATUS[0]} $(( ($(date +%s%N) - start) / 1000000 ))"`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {env: user.env, stdio: ['ignore', 'pipe', 'pipe']});
    let status = '';
    let output = '';
    child.stdout.on('data', (d) => (status += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`osctl ${args.join(' ')} | ${reader} did not end in 20s`));
    }, 20_000);
    child.on('close', () => {
      clearTimeout(timer);
      // stdout carries osctl's stderr too (fd 3), then the status line last.
      const lines = status.trimEnd().split('\n');
      const [code, ms] = lines.pop().split(' ').map(Number);
      resolve({code, ms, stderr: lines.join('\n'), readerOut: output});
    });
  });
}

before(async () => {
  const patch = path.join(user.home, 'pods.yaml');
  fs.writeFileSync(patch, PATCH);
  await createCluster(user, ['--name', NAME, '--cidr', '127.50.1.0/24', '--controlplanes', '1', '--workers', '2', '--config-patch', `@${patch}`]);
});

after(async () => {
  await discardCluster(user, NAME);
});

describe('issue 6 done means, through the CLI', () => {
  it('get staticpods lists default-nginx in talosctl\'s table', async () => {
    const r = await eventually(async () => {
      const out = await run(['-n', W1, 'get', 'staticpods']);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /default-nginx /);
      return out;
    });
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'NODE         NAMESPACE   TYPE        ID                     VERSION');
    assert.ok(lines.includes(`${W1}   k8s         StaticPod   default-nginx          1`), r.stdout);
    assert.ok(lines.includes(`${W1}   k8s         StaticPod   default-nginx-gvisor   1`), r.stdout);
  });

  it('get staticpodstatus shows default/nginx-<hostname> with READY True', async () => {
    await eventually(async () => {
      const r = await run(['-n', W1, 'get', 'staticpodstatus']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^NODE +NAMESPACE +TYPE +ID +VERSION +READY$/m);
      assert.match(r.stdout, new RegExp(`^${re(W1)} +k8s +StaticPodStatus +${re(POD)} +\\d+ +True$`, 'm'));
      assert.doesNotMatch(r.stdout, /nginx-gvisor/, 'the pod without containers never runs');
    });
  });

  it('containers -k: the sandbox and the └─ container row, a live process behind its PID', async () => {
    const {table, pid} = await eventually(nginxRow);
    assert.match(table, /^NODE +NAMESPACE +ID +IMAGE +PID +STATUS$/m);
    assert.match(table, new RegExp(`^${re(W1)} +k8s\\.io +${re(POD)} +.*SANDBOX_READY$`, 'm'));
    const sandboxLine = table.split('\n').findIndex((l) => l.includes(` ${POD} `));
    assert.match(table.split('\n')[sandboxLine + 1], /\u2514\u2500 /, 'the container row follows its sandbox');
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    assert.match(cmdline, /echo nginx is up/, 'the PID is the container\'s process');
  });

  it('logs -k <id from containers> prints <node>: <RFC3339Nano> stdout F <line>', async () => {
    const {id} = await nginxRow();
    const r = await run(['-n', W1, 'logs', '-k', id]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], new RegExp(`^${re(W1)}: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,9})?Z stdout F nginx is up$`));
    for (const line of lines.slice(1)) assert.match(line, new RegExp(`^${re(W1)}: \\S+Z stdout F serving$`));
  });

  it('kill -9 of the container\'s PID: the kubelet starts it again, a new PID, restartCount 1', async () => {
    const before = await nginxRow();
    assert.equal(await restartCount(), 0);
    process.kill(before.pid, 'SIGKILL');
    const after = await eventually(async () => {
      const row = await nginxRow();
      assert.notEqual(row.pid, before.pid);
      return row;
    });
    assert.ok(isAlive(after.pid) && !isAlive(before.pid));
    assert.notEqual(after.id, before.id, 'a new container instance');
    await eventually(async () => assert.equal(await restartCount(), 1));
  });

  it('logs kubelet shows the spec.containers line as JSON; the nginx pod keeps running', async () => {
    const r = await run(['-n', W1, 'logs', 'kubelet']);
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.includes('talos-default-nginx-gvisor.yaml'));
    assert.ok(line, r.stdout);
    assert.ok(line.startsWith(`${W1}: {`), line);
    const entry = JSON.parse(line.slice(`${W1}: `.length));
    assert.equal(entry.err, 'invalid pod: [spec.containers: Required value]');
    assert.equal(entry.path, '/etc/kubernetes/manifests/talos-default-nginx-gvisor.yaml');
    assert.ok(line.includes('"err":"invalid pod: [spec.containers: Required value]"'));
    const {pid} = await nginxRow();
    assert.ok(isAlive(pid));
  });

  it('service on three nodes at once', async () => {
    const r = await run(['-n', ALL, 'service']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^NODE +SERVICE +STATE +HEALTH +LAST CHANGE +LAST EVENT$/);
    for (const node of [CP, W1, W2]) {
      for (const service of ['apid', 'kubelet', 'machined']) {
        assert.match(r.stdout, new RegExp(`^${re(node)} +${service} +Running +`, 'm'), `${node} ${service}`);
      }
    }
  });

  it('service kubelet stop is refused with Talos\'s text and exit code 1', async () => {
    const r = await run(['-n', W1, 'service', 'kubelet', 'stop']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'NODE   RESPONSE\n');
    assert.equal(r.stderr, `error from node ${W1}: rpc error: code = Unknown desc = service "kubelet" doesn't support stop operation via API\n`);
  });
});

describe('as operators and scripts use it', () => {
  it('logs -f | head -3 ends quietly with 141; containers -k | head -1 and service | head -1 print the header', async () => {
    const {id} = await nginxRow();
    const follow = await pipeInto(['-n', W1, 'logs', '-f', '-k', id], 'head -3');
    assert.equal(follow.code, 141);
    assert.equal(follow.stderr, '');
    assert.equal(follow.readerOut.split('\n').length, 4, follow.readerOut);
    assert.ok(follow.ms < 5000, `${follow.ms} ms`);
    const containers = await pipeInto(['-n', `${W1},${W2}`, 'containers', '-k'], 'head -1');
    assert.ok([0, 141].includes(containers.code), String(containers.code));
    assert.equal(containers.stderr, '');
    assert.match(containers.readerOut, /^NODE +NAMESPACE +ID +IMAGE +PID +STATUS\n$/);
    const services = await pipeInto(['-n', ALL, 'service'], 'head -1');
    assert.ok([0, 141].includes(services.code), String(services.code));
    assert.equal(services.stderr, '');
    assert.match(services.readerOut, /^NODE +SERVICE +STATE/);
  });

  it('Ctrl-C during logs -f on three nodes: exit 130 at once, nothing on stderr', async () => {
    const child = osctlSpawn(['-n', ALL, 'logs', '-f', '-k', `default/nginx-${NAME}-controlplane-1:nginx`], {env: user.env});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
    // Only the control plane has a pod of that name: the workers answer "not found" at once.
    await eventually(() => assert.ok(stdout.split('\n').length > 2, stdout), 10_000);
    const pressed = Date.now();
    process.kill(child.pid, 'SIGINT');
    assert.equal(await exited, 130);
    assert.ok(Date.now() - pressed < 2000, `${Date.now() - pressed} ms`);
    for (const line of stderr.trimEnd().split('\n').filter(Boolean)) {
      assert.match(line, /^(error from node 127\.50\.1\.[34]: .*not found|  hint: .*)$/, stderr);
    }
    const quiet = osctlSpawn(['-n', ALL, 'logs', '-f', 'kubelet', '--tail', '1'], {env: user.env});
    let quietErr = '';
    let quietOut = '';
    quiet.stderr.on('data', (d) => (quietErr += d));
    quiet.stdout.on('data', (d) => (quietOut += d));
    const quietExit = new Promise((resolve) => quiet.on('close', (code, signal) => resolve(code ?? signal)));
    await eventually(() => assert.equal(quietOut.split('\n').length, 4, quietOut), 10_000);
    process.kill(quiet.pid, 'SIGINT');
    assert.equal(await quietExit, 130);
    assert.equal(quietErr, '');
  });

  it('a node that accepts TCP and never answers: the others print, it is reported within --timeout', async () => {
    const sockets = new Set();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise((resolve) => silent.listen(50000, SILENT, resolve));
    try {
      for (const args of [['service'], ['containers', '-k'], ['logs', 'kubelet', '--tail', '1']]) {
        const started = Date.now();
        const r = await run(['-n', `${W1},${SILENT}`, '--timeout', '3s', ...args], {timeoutMs: 20_000});
        const took = Date.now() - started;
        assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^${re(W1)}`, 'm'), args.join(' '));
        assert.match(r.stderr, new RegExp(`^error from node ${re(SILENT)}: node ${re(SILENT)} via endpoint ${re(CP)}:50000 did not answer within 3s`, 'm'));
        assert.ok(took < 8000, `${args.join(' ')} took ${took} ms`);
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('hostile ids: no raw control characters reach the terminal; the node is named; osd keeps serving', async () => {
    for (const [args, shown] of [
      [['logs', '../../etc/passwd'], 'log "../../etc/passwd" was not registered'],
      [['logs', '-k', 'a/b:c:d:e'], 'container "a/b:c:d:e" not found'],
      [['logs', 'x\u001b[2J\u001b[31mred'], 'log "x\\u001b[2J\\u001b[31mred" was not registered'],
      [['logs', '-k', 'a\nb'], 'container "a\\nb" not found'],
      [['restart', '-k', 'a\rb\u0007'], 'container "a\\rb\\u0007" not found'],
      [['service', 'x\u001b]0;title\u0007', 'start'], 'service "x\\u001b]0;title\\u0007" not defined'],
    ]) {
      const r = await run(['-n', W1, ...args]);
      assert.equal(r.code, 1, `${JSON.stringify(args)}: ${r.stderr}`);
      // talosctl words restart's failures its own way.
      const from = args[0] === 'restart' ? 'error restarting process on node' : 'error from node';
      assert.equal(r.stderr.split('\n')[0], `${from} ${W1}: rpc error: code = Unknown desc = ${shown}`);
      assert.doesNotMatch(r.stderr, /[\u0000-\u0008\u000b-\u001f\u007f]/, JSON.stringify(r.stderr));
    }
    const long = 'a'.repeat(100_000);
    for (const args of [['logs', long], ['logs', '-k', long], ['restart', '-k', long]]) {
      const r = await run(['-n', W1, ...args]);
      assert.equal(r.code, 1);
      const from = args[0] === 'restart' ? 'error restarting process on node' : 'error from node';
      assert.match(r.stderr, new RegExp(`^${from} ${re(W1)}: rpc error: code = Unknown desc = (log|container) "a+`));
      assert.ok(r.stderr.length < 5000, `bounded: ${r.stderr.length} bytes`);
    }
    const tail = await run(['-n', W1, 'logs', 'kubelet', '--tail', '\u001b[2J']);
    assert.equal(tail.code, 2);
    assert.equal(tail.stderr, 'error: --tail "\\x1b[2J": not a whole number; use a count of lines, e.g. --tail 20\n');
    assert.ok(isAlive((await nginxRow()).pid));
  });

  it('logs -k <namespace>/<pod>: Talos\'s "no log available", and how to name a container instead', async () => {
    const r = await run(['-n', W1, 'logs', '-k', POD]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error from node ${W1}: rpc error: code = Unknown desc = no log available\n` +
      `  hint: \`<namespace>/<pod>\` is the pod's sandbox, which has no log: name a container, \`<namespace>/<pod>:<container>\` (\`osctl containers -k\` lists them)\n`);
  });

  it('--tail -5, 0 and 99999999999', async () => {
    const {id} = await nginxRow();
    const negative = await run(['-n', W1, 'logs', '-k', id, '--tail', '-5']);
    assert.equal(negative.code, 2);
    assert.match(negative.stderr, /^error: --tail -5: the count of lines cannot be negative; use --tail 5 for the last lines/);
    const none = await run(['-n', W1, 'logs', '-k', id, '--tail', '0']);
    assert.deepEqual([none.code, none.stdout, none.stderr], [0, '', '']);
    const huge = await run(['-n', W1, 'logs', '-k', id, '--tail', '99999999999']);
    assert.equal(huge.code, 2);
    assert.equal(huge.stderr, 'error: --tail 99999999999: at most 2147483647 lines\n');
  });

  it('cluster create refuses a machine.pods entry that is not a mapping, naming the patch file and line', async () => {
    const other = makeHome('osctl-h6-badpod-');
    try {
      const patch = path.join(other.home, 'pods.yaml');
      fs.writeFileSync(patch, 'machine:\n  pods:\n    - just a string\n');
      const r = await osctl(['cluster', 'create', '--name', 'h6bad', '--cidr', '127.50.2.0/24', '--config-patch', `@${patch}`], {env: other.env});
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^error: --config-patch: patch file ".*pods\.yaml": not a valid strategic merge patch: .*\n {2}line 3: cannot unmarshal !!str `just a \.\.\.` into map\[string\]interface \{\}\n/);
      assert.ok(!fs.existsSync(path.join(other.home, '.talos', 'clusters', 'h6bad')), 'nothing was started');
    } finally {
      await discardCluster(other, 'h6bad');
    }
  });

  it('manifests by hand: not YAML, a bad field, a missing program, a crash loop; edit and removal', async () => {
    const dir = manifests();
    const pod = (name, container) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers:\n    - ${JSON.stringify({name: 'c', image: 'busybox', ...container})}\n`;
    // A FIFO sorts before missing.yaml: reading it must not hold up the pods after it.
    execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]);
    fs.writeFileSync(path.join(dir, 'broken.yaml'), 'this: is: not: yaml: [\n');
    fs.writeFileSync(path.join(dir, 'badfield.yaml'), pod('badfield', {command: 'sleep 100'}));
    fs.writeFileSync(path.join(dir, 'missing.yaml'), pod('missing', {command: ['/no/such/program']}));
    fs.writeFileSync(path.join(dir, 'crash.yaml'), pod('crash', {command: ['sh', '-c', 'exit 3']}));
    const {pid: nginxPid} = await nginxRow();
    const kubeletLine = async (pattern) => eventually(async () => {
      const r = await run(['-n', W1, 'logs', 'kubelet']);
      const line = r.stdout.split('\n').find((l) => pattern.test(l));
      assert.ok(line, `${pattern}\n${r.stdout}`);
      assert.ok(line.startsWith(`${W1}: `));
      return JSON.parse(line.slice(`${W1}: `.length));
    });
    assert.match((await kubeletLine(/broken\.yaml/)).err, /^\/etc\/kubernetes\/manifests\/broken\.yaml: couldn't parse as pod\(yaml: .*\), please check config file$/);
    assert.match((await kubeletLine(/badfield\.yaml/)).err, /spec\.containers\.command of type \[\]string/);
    assert.equal((await kubeletLine(/fifo\.yaml/)).err, 'manifest path "/etc/kubernetes/manifests/fifo.yaml" is not a file or directory: remove it, or put a pod manifest there');
    assert.match((await kubeletLine(/"pod":"default\/missing-.*RunContainerError/)).err, /\/no\/such\/program.*no such file or directory/);
    // The crash loop backs off (kubelet's 10 s, 20 s, …): it is seen in the status, osd stays idle.
    const waiting = await eventually(async () => {
      const r = await run(['-n', W1, 'get', 'staticpodstatus', `default/crash-${HOSTNAME}`, '-o', 'yaml']);
      assert.match(r.stdout, /reason: CrashLoopBackOff/, r.stdout);
      return r.stdout;
    });
    assert.match(waiting, /message: back-off \d+s restarting failed container=c pod=crash-/);
    assert.match(waiting, /exitCode: 3/);
    const osdPid = JSON.parse(fs.readFileSync(path.join(user.home, '.talos', 'clusters', NAME, 'cluster.json'), 'utf8')).nodes[1].pid;
    const cpu = () => fs.readFileSync(`/proc/${osdPid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).reduce((a, b) => a + Number(b), 0);
    const before = cpu();
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(cpu() - before < 60, `osd used ${cpu() - before} ticks in 3 s`); // < 20 % of one core
    assert.ok(isAlive(nginxPid), 'the other pods keep running');

    // Editing a manifest recreates the pod; removing one destroys it.
    fs.writeFileSync(path.join(dir, 'crash.yaml'), pod('crash', {command: ['sh', '-c', 'echo fixed; exec sleep 300']}));
    await eventually(async () => {
      const r = await run(['-n', W1, 'get', 'staticpodstatus']);
      assert.match(r.stdout, new RegExp(`^${re(W1)} +k8s +StaticPodStatus +default/crash-${re(HOSTNAME)} +\\d+ +True$`, 'm'));
    });
    const crashRow = new RegExp(`\u2514\u2500 default/crash-${re(HOSTNAME)}:c:[0-9a-f]{12} +busybox +(\\d+) +CONTAINER_RUNNING`);
    const fixedPid = Number(crashRow.exec((await run(['-n', W1, 'containers', '-k'])).stdout)[1]);
    assert.ok(isAlive(fixedPid));
    for (const file of ['crash.yaml', 'missing.yaml', 'broken.yaml', 'badfield.yaml', 'fifo.yaml']) fs.rmSync(path.join(dir, file));
    await eventually(async () => {
      const r = await run(['-n', W1, 'get', 'staticpodstatus']);
      assert.doesNotMatch(r.stdout, /crash-|missing-/);
      assert.ok(!isAlive(fixedPid), 'the removed pod\'s process is gone');
    });
    assert.ok(isAlive(nginxPid));
  });
});

describe('cluster destroy with a container that ignores SIGTERM', () => {
  const owner = makeHome('osctl-h6-stubborn-');
  const CLUSTER = 'h6stub';
  const NODE = '127.50.3.2';

  after(async () => {
    await discardCluster(owner, CLUSTER);
  });

  it('leaves no container process behind, and still ends within seconds', async () => {
    const patch = path.join(owner.home, 'stubborn.yaml');
    fs.writeFileSync(patch, `machine:
  pods:
    - apiVersion: v1
      kind: Pod
      metadata: {name: stubborn}
      spec:
        containers:
          - name: c
            image: busybox
            command: [sh, -c, "trap '' TERM; while true; do sleep 0.2; done"]
`);
    await createCluster(owner, ['--name', CLUSTER, '--cidr', '127.50.3.0/24', '--controlplanes', '1', '--workers', '0', '--config-patch', `@${patch}`]);
    const pid = await eventually(async () => {
      const r = await osctl(['-n', NODE, 'containers', '-k'], {env: owner.env});
      const row = /\u2514\u2500 default\/stubborn-\S+ +busybox +(\d+) +CONTAINER_RUNNING$/m.exec(r.stdout);
      assert.ok(row, r.stdout + r.stderr);
      return Number(row[1]);
    });
    const started = Date.now();
    const destroyed = await osctl(['cluster', 'destroy', '--name', CLUSTER], {env: owner.env});
    assert.equal(destroyed.code, 0, destroyed.stderr);
    assert.ok(Date.now() - started < 9000, `destroy took ${Date.now() - started} ms`);
    try {
      await eventually(() => assert.ok(!isAlive(pid), `container process ${pid} still runs`), 2000);
    } finally {
      if (isAlive(pid)) process.kill(-pid, 'SIGKILL'); // its own process group: the test started it
    }
  });
});
