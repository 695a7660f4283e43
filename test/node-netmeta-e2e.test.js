// netstat, stats, time and meta against real osd agents: a local cluster on 127.56.5.x (one
// control plane, the endpoint; one worker with a static pod) whose machine configs name a time
// server that this test runs (a real UDP SNTP responder on 127.56.5.50). Every command goes
// through the endpoint to the worker (forwarding), and what it shows is the worker's.
import assert from 'node:assert/strict';
import {createSocket} from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {unixNsToNtp} from '../dist/agent/inside/sntp.js';
import {ADV_LENGTH, unmarshalAdv} from '../dist/agent/inside/meta-store.js';
import {eventually as eventuallyWithin} from './helpers/agents.js';
import {clusterDescription, createCluster, discardCluster, makeHome, osctl, osctlSpawn} from './helpers/cli.js';

const NAME = 'h7nm';
const CP = '127.56.5.2';
const W = '127.56.5.3';
const TIME_SERVER = '127.56.5.50:1123';
const POD = `default/ticker-${NAME}-worker-1`;
const SERVER_TIME = Date.UTC(2031, 4, 6, 7, 8, 9, 250);

const COMMON = `machine:
  time:
    servers:
      - ${TIME_SERVER}
`;
const WORKER = `machine:
  pods:
    - apiVersion: v1
      kind: Pod
      metadata:
        name: ticker
      spec:
        containers:
          - name: ticker
            image: busybox
            command: [sh, -c, "while true; do sleep 0.5; done"]
`;

const user = makeHome('osctl-h7nm-e2e-');
const run = (args, options = {}) => osctl(args, {env: user.env, timeoutMs: 60_000, ...options});
const eventually = (check, timeoutMs = 20_000) => eventuallyWithin(check, timeoutMs, 250);
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
let sntp;
let queries = 0;
let worker;

before(async () => {
  // The time server the configs name: answers every query with SERVER_TIME.
  sntp = createSocket('udp4');
  sntp.on('message', (request, peer) => {
    queries++;
    const answer = Buffer.alloc(48);
    answer[0] = (4 << 3) | 4;
    answer[1] = 2;
    const t = unixNsToNtp(BigInt(SERVER_TIME) * 1_000_000n);
    answer.writeBigUInt64BE(t - (60n << 32n), 16);
    request.copy(answer, 24, 40, 48);
    answer.writeBigUInt64BE(t, 32);
    answer.writeBigUInt64BE(t, 40);
    sntp.send(answer, peer.port, peer.address);
  });
  await new Promise((resolve) => sntp.bind(1123, '127.56.5.50', resolve));
  fs.writeFileSync(path.join(user.home, 'common.yaml'), COMMON);
  fs.writeFileSync(path.join(user.home, 'worker.yaml'), WORKER);
  await createCluster(user, [
    '--name', NAME, '--cidr', '127.56.5.0/24', '--controlplanes', '1', '--workers', '1',
    '--config-patch', `@${path.join(user.home, 'common.yaml')}`, '--config-patch-worker', `@${path.join(user.home, 'worker.yaml')}`,
  ]);
  worker = clusterDescription(user.home, NAME).nodes.find((node) => node.address === W) ?? clusterDescription(user.home, NAME).nodes[1];
});

after(async () => {
  await discardCluster(user, NAME);
  await new Promise((resolve) => sntp.close(resolve));
});

describe('netstat through the endpoint', () => {
  it('-l -p shows the worker\'s osd listening on its API port with its PID, and not the endpoint\'s', async () => {
    const r = await run(['-n', W, 'netstat', '-l', '-p']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^NODE +Proto +Recv-Q +Send-Q +Local Address +Foreign Address +State +PID\/Program name$/);
    assert.match(r.stdout, new RegExp(`^${escape(W)} +tcp +0 +0 +${escape(W)}:50000 +0\\.0\\.0\\.0:\\* +LISTEN +${worker.pid}/node$`, 'm'));
    assert.doesNotMatch(r.stdout, new RegExp(`${escape(CP)}:50000`));
    for (const line of lines.slice(1)) assert.ok(line.startsWith(`${W} `), line);
  });

  it('the endpoint\'s own connections: its forwarding connection to the worker\'s API, held by its osd', async () => {
    const cp = clusterDescription(user.home, NAME).nodes.find((node) => node.address === CP);
    await eventually(async () => {
      await run(['-n', W, 'version']); // keeps the forwarding connection in use
      const r = await run(['-n', CP, 'ss', '-t', '-p', '--output', 'ndjson']);
      assert.equal(r.code, 0, r.stderr);
      const sockets = r.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
      const forward = sockets.find((s) => s.remoteip === W && s.remoteport === 50000);
      assert.ok(forward, r.stdout);
      assert.equal(forward.state, 'ESTABLISHED');
      assert.equal(forward.process.pid, cp.pid);
      assert.ok(sockets.every((s) => s.node === CP && s.remoteport !== 0));
    });
  });

  it('-4/-6, -x and -o (timers) shape the request and the columns as talosctl does', async () => {
    const v6 = await run(['-n', W, 'netstat', '-l', '-6']);
    assert.equal(v6.code, 0, v6.stderr);
    assert.equal(v6.stdout, '', 'no IPv6 listener: not even the header');
    const r = await run(['-n', W, 'netstat', '-l', '-4', '-t', '-x', '-o']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.split('\n')[0], /State +Uid +Inode +Timer$/);
    assert.match(r.stdout, new RegExp(`${escape(W)}:50000 +0\\.0\\.0\\.0:\\* +LISTEN +[0-9]+ +[1-9][0-9]* +off \\(0\\.00/0/0\\)$`, 'm'));
  });

  it('a pod argument: osd runs pods in the host network, so no pod has a namespace of its own', async () => {
    const r = await run(['-n', W, 'netstat', POD]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `error: pod ${POD} not found\n`);
    const both = await run(['-n', W, 'netstat', '-k', POD]);
    assert.equal(both.code, 1);
    assert.equal(both.stderr, 'error: cannot use --pods and specify a pod\n');
  });
});

describe('stats through the endpoint', () => {
  it('-k: the pod (zero, as a sandbox) and its running container with the memory and CPU of its processes', async () => {
    const containers = await eventually(async () => {
      const c = await run(['-n', W, 'containers', '-k', '-o', 'ndjson']);
      const rows = c.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)).filter((row) => row.podId === POD);
      assert.ok(rows.some((row) => row.status === 'CONTAINER_RUNNING' && row.pid > 0), c.stdout);
      return rows;
    });
    const container = containers.find((row) => row.status === 'CONTAINER_RUNNING');
    const r = await run(['-n', W, 'stats', '-k']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^NODE +NAMESPACE +ID +MEMORY\(MB\) +CPU\n/);
    assert.match(r.stdout, new RegExp(`^${escape(W)} +k8s\\.io +${escape(POD)} +0\\.00 +0$`, 'm'));
    assert.match(r.stdout, new RegExp(`^${escape(W)} +k8s\\.io +└─ ${escape(container.id)} +[0-9]+\\.[0-9]{2} +[0-9]+$`, 'm'));

    const json = await run(['-n', W, 'stats', '-k', '-o', 'json']);
    const stats = json.stdout.trim().split(/\n(?=\{)/).map((text) => JSON.parse(text));
    const measured = stats.find((s) => s.id === container.id);
    // At least the leader's own resident set, as /proc/<pid>/status has it, and nowhere near a whole machine.
    const leaderKb = Number(/^VmRSS:\s+([0-9]+) kB$/m.exec(fs.readFileSync(`/proc/${container.pid}/status`, 'utf8'))[1]);
    assert.ok(Number(measured.memoryUsage) >= leaderKb * 1024 * 0.5, `${measured.memoryUsage} vs ${leaderKb} kB`);
    assert.ok(Number(measured.memoryUsage) < 512 * 1024 * 1024);
    assert.ok(Number(measured.cpuUsage) >= 0);
    assert.equal(measured.podId, POD);
  });

  it('without -k: the same inventory as containers', async () => {
    const [s, c] = await Promise.all([run(['-n', W, 'stats', '-o', 'ndjson']), run(['-n', W, 'containers', '-o', 'ndjson'])]);
    assert.equal(s.code, 0, s.stderr);
    const ids = (text) => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line).id).sort();
    assert.deepEqual(ids(s.stdout), ids(c.stdout));
    const table = await run(['-n', W, 'stats']);
    assert.match(table.stdout, /^NODE +NAMESPACE +ID +MEMORY\(MB\) +CPU\n/);
  });
});

describe('time through the endpoint', () => {
  it('asks the configured server and shows what it answered', async () => {
    const before = queries;
    const r = await run(['-n', W, 'time']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^NODE +NTP-SERVER +NODE-TIME +NTP-SERVER-TIME$/);
    assert.match(lines[1], new RegExp(`^${escape(W)} +${escape(TIME_SERVER)} +20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:.]+ \\+0000 UTC +2031-05-06 07:08:09\\.25 \\+0000 UTC$`));
    assert.equal(queries, before + 1, 'one SNTP exchange');
    const nodeTime = Date.parse(lines[1].split(/ {3,}/)[2].replace(' +0000 UTC', 'Z').replace(' ', 'T'));
    assert.ok(Math.abs(nodeTime - Date.now()) < 60_000, 'the node\'s own clock');
  });

  it('--check names another server; both nodes answer (-o json)', async () => {
    const r = await run(['-n', `${CP},${W}`, 'time', '--check', TIME_SERVER, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const records = r.stdout.trim().split(/\n(?=\{)/).map((text) => JSON.parse(text));
    assert.deepEqual(records.map((t) => t.node).sort(), [CP, W]);
    for (const record of records) {
      assert.equal(record.server, TIME_SERVER);
      assert.equal(record.remotetime, '2031-05-06T07:08:09.25Z');
    }
  });

  it('Ctrl-C while the server stays silent ends at once with 130; the nodes keep serving', async () => {
    const silent = createSocket('udp4');
    await new Promise((resolve) => silent.bind(1125, '127.56.5.52', resolve));
    try {
      const child = osctlSpawn(['-n', W, 'time', '--check', '127.56.5.52:1125'], {env: user.env});
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const started = Date.now();
      process.kill(child.pid, 'SIGINT');
      const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? signal)));
      assert.equal(code, 130);
      assert.ok(Date.now() - started < 3000);
      assert.equal(stdout + stderr, '');
    } finally {
      await new Promise((resolve) => silent.close(resolve));
    }
    const v = await run(['-n', W, 'time']);
    assert.equal(v.code, 0, v.stderr);
  });

  it('an unreachable server is an error naming it, never a time', async () => {
    const r = await run(['-n', W, 'time', '--check', '127.56.5.51:1124']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^error from node ${escape(W)}: rpc error: code = Unknown desc = error querying NTP server "127\\.56\\.5\\.51:1124": read udp [0-9.:]+->127\\.56\\.5\\.51:1124: (recvfrom: connection refused|i/o timeout)\n$`));
    const partial = await run(['-n', `${W},127.56.5.9`, 'time', '--check', TIME_SERVER]);
    assert.equal(partial.code, 3, 'one node failed, one answered');
    assert.match(partial.stdout, new RegExp(`^${escape(W)} `, 'm'));
  });
});

describe('meta through the endpoint', () => {
  it('write: silent, stored in the worker\'s state folder in Talos\'s layout, a MetaKeys resource there only', async () => {
    const w = await run(['-n', W, 'meta', 'write', '0x0c', 'hello world']);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout + w.stderr, '');
    const g = await run(['-n', `${CP},${W}`, 'get', 'meta']);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, new RegExp(`^${escape(W)} +runtime +MetaKey +0x0c +1 +hello world$`, 'm'));
    assert.doesNotMatch(g.stdout, new RegExp(`^${escape(CP)} `, 'm'));
    const file = fs.readFileSync(path.join(worker.stateDir, 'system/state/meta'));
    assert.equal(file.length, 2 * ADV_LENGTH);
    assert.equal(unmarshalAdv(file.subarray(0, ADV_LENGTH)).get(0x0c).toString(), 'hello world');
    const y = await run(['-n', W, 'get', 'meta', '0x0c', '-o', 'yaml']);
    assert.match(y.stdout, /\nspec:\n {4}value: hello world\n$/);
  });

  it('a watch sees writes and deletes as they happen', async () => {
    const watch = osctlSpawn(['-n', W, 'get', 'meta', '--watch'], {env: user.env});
    let out = '';
    watch.stdout.on('data', (d) => (out += d));
    try {
      await eventually(async () => assert.match(out, /0x0c/), 10_000);
      assert.equal((await run(['-n', W, 'meta', 'write', '13', 'live'])).code, 0);
      await eventually(async () => assert.match(out, /^127\.56\.5\.3 +\+ +runtime +MetaKey +0x0d +1 +live$/m), 10_000);
      assert.equal((await run(['-n', W, 'meta', 'delete', '0x0d'])).code, 0);
      await eventually(async () => assert.match(out, /^127\.56\.5\.3 +- +runtime +MetaKey +0x0d /m), 10_000);
    } finally {
      watch.kill('SIGKILL');
    }
  });

  it('errors: an unset key, a key that is not a uint8, a node that is down', async () => {
    const missing = await run(['-n', W, 'meta', 'delete', '200']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `error deleting meta from node ${W}: rpc error: code = NotFound desc = meta key not found\n`);
    const big = await run(['-n', W, 'meta', 'write', '256', 'x']);
    assert.equal(big.code, 2);
    assert.equal(big.stderr, 'error: strconv.ParseUint: parsing "256": value out of range\n');
    const partial = await run(['-n', `${W},127.56.5.9`, 'meta', 'write', '1', 'x']);
    assert.equal(partial.code, 3);
    assert.match(partial.stderr, /^error writing meta to node 127\.56\.5\.9: /);
  });
});
