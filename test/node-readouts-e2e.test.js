// The readout commands against a real local cluster (127.55.5.x: a control plane, the endpoint, and
// a worker running a static pod), every one through the endpoint to the worker: processes shows the
// worker's osd and its pod and nothing of the control plane's, memory equals the host's
// /proc/meminfo, mounts include /, dmesg prints real kernel records (or the reason it cannot),
// follows new ones, and ends on Ctrl-C with 130; -w into a pipe; bad input.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {spawn} from 'node:child_process';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {eventually as eventuallyWithin} from './helpers/agents.js';
import {clusterDescription, createCluster, discardCluster, makeHome, osctl, osctlSpawn, runJs} from './helpers/cli.js';

const NAME = 'h7ro';
const CP = '127.55.5.2';
const W1 = '127.55.5.3';
const MISSING = '127.55.5.9';

const PATCH = `machine:
  pods:
    - apiVersion: v1
      kind: Pod
      metadata:
        name: sleeper
      spec:
        containers:
          - name: sleeper
            image: busybox
            command: [sh, -c, "exec sleep 3600"]
`;

const user = makeHome('osctl-h7-readouts-');
const run = (args, options = {}) => osctl(args, {env: user.env, timeoutMs: 60_000, ...options});
const eventually = (check, timeoutMs = 20_000) => eventuallyWithin(check, timeoutMs, 250);
const esc = (text) => text.replaceAll('.', '\\.');

let osdPids;

function kmsgReadable() {
  try {
    fs.closeSync(fs.openSync('/dev/kmsg', fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
    return true;
  } catch {
    return false;
  }
}

function kmsgWritable() {
  try {
    fs.closeSync(fs.openSync('/dev/kmsg', fs.constants.O_WRONLY));
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  const patch = path.join(user.home, 'pod.yaml');
  fs.writeFileSync(patch, PATCH);
  await createCluster(user, ['--name', NAME, '--cidr', '127.55.5.0/24', '--controlplanes', '1', '--workers', '1', '--config-patch-worker', `@${patch}`]);
  osdPids = Object.fromEntries(clusterDescription(user.home, NAME).nodes.map((n) => [n.address ?? n.ip, n.pid]));
});

after(async () => {
  await discardCluster(user, NAME);
});

describe('readouts through the endpoint to another node', () => {
  it('processes: the worker\'s osd and its pod, sorted by memory, none of the control plane\'s', async () => {
    assert.ok(osdPids[W1] && osdPids[CP], JSON.stringify(osdPids));
    const r = await eventually(async () => {
      const out = await run(['-n', W1, 'processes']);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /sleep 3600/, 'the pod process is there');
      return out;
    });
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^NODE +PID +STATE +THREADS +CPU-TIME +VIRTMEM +RESMEM +LABEL +COMMAND$/);
    const rows = lines.slice(1).map((line) => line.split(/ {3,}/));
    assert.ok(rows.every((row) => row[0] === W1), r.stdout);
    assert.ok(rows.some((row) => row[1] === String(osdPids[W1]) && /bin\/osd\.js --state-dir .*--address 127\.55\.5\.3 /.test(row.at(-1))), r.stdout);
    assert.ok(!rows.some((row) => row[1] === String(osdPids[CP])), 'not the control plane\'s osd');
    const resident = rows.map((row) => row[6]);
    assert.ok(resident.every((size) => /^\d+(\.\d)? (B|kB|MB|GB)$/.test(size)), resident.join());
    // osd (tens of MB) comes before the shell running sleep (well under a MB or so).
    assert.equal(rows[0][1], String(osdPids[W1]));
  });

  it('ps -s cpu -o json: plain records, sorted by CPU time', async () => {
    const r = await run(['-n', W1, 'ps', '-s', 'cpu', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const records = JSON.parse(`[${r.stdout.replace(/}\n{/g, '},{')}]`);
    assert.ok(records.length >= 2);
    assert.deepEqual(Object.keys(records[0]).sort(), ['args', 'command', 'cpuTime', 'executable', 'node', 'pid', 'ppid', 'residentMemory', 'state', 'threads', 'virtualMemory']);
    const times = records.map((p) => p.cpuTime);
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
    const osd = records.find((p) => p.pid === osdPids[W1]);
    assert.equal(osd.node, W1);
    assert.equal(osd.executable, process.execPath);
    const status = fs.readFileSync(`/proc/${osdPids[W1]}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)[1]);
    assert.ok(Math.abs(osd.residentMemory - rssKb * 1024) < 20 * 1024 * 1024, `${osd.residentMemory} vs ${rssKb} kB`);
  });

  it('memory: the host\'s /proc/meminfo in MB; -v in kB; -o yaml', async () => {
    const r = await run(['-n', `${CP},${W1}`, 'memory']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^NODE +TOTAL +USED +FREE +SHARED +BUFFERS +CACHE +AVAILABLE$/);
    const meminfo = Object.fromEntries(fs.readFileSync('/proc/meminfo', 'utf8').trim().split('\n').map((l) => {
      const [k, v] = l.split(/:\s+/);
      return [k, parseInt(v, 10)];
    }));
    // Rows come in the order the nodes answer, as talosctl prints them.
    assert.equal(lines.length, 3);
    for (const node of [CP, W1]) {
      const cells = lines.find((line) => line.startsWith(`${node} `)).split(/ +/);
      assert.equal(Number(cells[1]), Math.floor(meminfo.MemTotal / 1024));
      assert.ok(Math.abs(Number(cells[3]) - meminfo.MemFree / 1024) < Math.max(200, meminfo.MemTotal / 1024 / 20), `free ${cells[3]}`);
    }
    const verbose = await run(['-n', W1, 'free', '-v']);
    assert.equal(verbose.code, 0, verbose.stderr);
    const vlines = verbose.stdout.split('\n');
    assert.equal(vlines[0], `NODE: ${W1}`);
    assert.equal(vlines[1], `MemTotal: ${meminfo.MemTotal} kB`);
    assert.equal(vlines.length, 50);
    const y = await run(['-n', W1, 'memory', '-o', 'yaml']);
    assert.equal(y.code, 0, y.stderr);
    assert.match(y.stdout, new RegExp(`^node: ${esc(W1)}\\nmeminfo:\\n(    [a-z0-9]+: \\d+\\n){48}$`));
    assert.match(y.stdout, new RegExp(`^    memtotal: ${meminfo.MemTotal}$`, 'm'));
  });

  it('mounts: the host\'s, / among them with statfs\'s size', async () => {
    const r = await run(['-n', W1, 'mounts']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^NODE +FILESYSTEM +SIZE\(GB\) +USED\(GB\) +AVAILABLE\(GB\) +PERCENT USED +MOUNTED ON$/);
    const slash = lines.find((l) => / \/$/.test(l));
    assert.ok(slash, r.stdout);
    const stat = fs.statfsSync('/');
    const sizeGb = ((stat.bsize * stat.blocks) * 1e-9).toFixed(2);
    assert.match(slash, new RegExp(`^${esc(W1)} +\\S+ +${esc(sizeGb)} +\\d+\\.\\d\\d +\\d+\\.\\d\\d +\\d+\\.\\d\\d% +/$`));
    const json = await run(['-n', W1, 'mount', '-o', 'ndjson']);
    const records = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(records.some((m) => m.mountedOn === '/' && m.size === stat.bsize * stat.blocks && m.node === W1));
  });

  it('dmesg: the kernel\'s records, each `<node>: <facility>: <priority>: [<time>]: ...`, or why not', async () => {
    const r = await run(['-n', W1, 'dmesg']);
    if (!kmsgReadable()) {
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`^error from node ${esc(W1)}: rpc error: code = Unknown desc = error opening /dev/kmsg reader: open /dev/kmsg: `));
      return;
    }
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const records = r.stdout.split('\n').filter((l) => l.startsWith(`${W1}: `));
    assert.ok(records.length > 0);
    for (const line of records) {
      assert.match(line, new RegExp(`^${esc(W1)}: [a-z0-9]+: {0,6}(emerg|alert|crit|err|warning|notice|info|debug): \\[\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d*[1-9])?Z\\]: `));
    }
  });

  it('dmesg -f --tail: only records written from now on, until Ctrl-C (130)', async () => {
    const marker = `osctl-readouts-${process.pid}-${Date.now()}`;
    const child = osctlSpawn(['-n', W1, 'dmesg', '-f', '--tail'], {env: user.env});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
    if (!kmsgReadable()) {
      assert.equal(await closed, 1);
      assert.match(stderr, /error opening \/dev\/kmsg reader: open \/dev\/kmsg: /);
      return;
    }
    try {
      if (kmsgWritable()) {
        await eventually(async () => {
          fs.writeFileSync('/dev/kmsg', `<14>${marker}\n`);
          assert.match(stdout, new RegExp(marker));
        }, 15_000);
        assert.match(stdout, new RegExp(`^${esc(W1)}: user: {4}info: \\[[^\\]]+\\]: ${marker}$`, 'm'));
      } else {
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
      // The kernel's ring holds records from before the call: none of them is printed.
      assert.ok(stdout.split('\n').filter(Boolean).every((l) => l.includes(marker)), stdout.slice(0, 500));
    } finally {
      process.kill(child.pid, 'SIGINT');
    }
    assert.equal(await closed, 130);
    assert.equal(stderr, '');
    // The worker's osd stopped following: it holds /dev/kmsg open no more.
    await eventually(() => {
      const open = fs.readdirSync(`/proc/${osdPids[W1]}/fd`).filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/${osdPids[W1]}/fd/${fd}`) === '/dev/kmsg';
        } catch {
          return false;
        }
      });
      assert.deepEqual(open, []);
    }, 5000);
  });

  it('processes -w on a terminal: the alternate screen, cut to the window, redrawn; q ends it (0), Ctrl-C too (130)', async () => {
    for (const [key, code] of [['q', 0], ['\x03', 130]]) {
      const command = `stty rows 6 cols 70; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(runJs)} -n ${W1} processes -w`;
      const child = spawn('script', ['-qfec', command, '/dev/null'], {env: user.env, stdio: ['pipe', 'pipe', 'pipe']});
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const closed = new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? signal)));
      try {
        await eventually(() => assert.ok(out.split('\x1b[H').length >= 3, JSON.stringify(out)), 15_000);
        child.stdin.write(key);
        assert.equal(await closed, code, JSON.stringify(out.slice(-300)));
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      assert.ok(out.includes('\x1b[?1049h'), 'entered the alternate screen');
      assert.ok(out.trimEnd().endsWith('\x1b[?1049l'), 'and left it at the end');
      const frame = out.split('\x1b[H').at(-2).split('\x1b[J')[0];
      const lines = frame.split('\x1b[K').map((l) => l.replace(/^\r*\n/, '')).filter(Boolean);
      assert.ok(lines.length <= 6, JSON.stringify(lines));
      assert.ok(lines.every((l) => l.length <= 70), JSON.stringify(lines));
      assert.match(lines[0], /^NODE +PID +STATE +THREADS +CPU-TIME/);
    }
  });

  it('processes -w into a pipe: a whole table every second, separated by an empty line; Ctrl-C ends it with 130', async () => {
    const child = osctlSpawn(['-n', W1, 'processes', '-w'], {env: user.env});
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const closed = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
    try {
      await eventually(() => assert.ok(stdout.split('\n\n').length >= 3, stdout), 15_000);
    } finally {
      process.kill(child.pid, 'SIGINT');
    }
    assert.equal(await closed, 130);
    assert.doesNotMatch(stdout, /\x1b/, 'no terminal codes in a pipe');
    const tables = stdout.split('\n\n').filter((t) => t.trim() !== '');
    for (const table of tables.slice(0, 2)) assert.match(table, /^NODE +PID +STATE/);
  });

  it('a node that is not there fails alone: exit 3, the others printed', async () => {
    const r = await run(['-n', `${W1},${MISSING}`, 'memory']);
    assert.equal(r.code, 3);
    assert.match(r.stdout, new RegExp(`^${esc(W1)} +\\d+`, 'm'));
    assert.match(r.stderr, new RegExp(`^error from node ${esc(MISSING)}: `, 'm'));
  });

  it('bad input: an unknown sort column, -w with -o', async () => {
    const sort = await run(['-n', W1, 'ps', '-s', 'mem']);
    assert.equal(sort.code, 2);
    assert.equal(sort.stdout, '');
    assert.match(sort.stderr, /^error: -s\/--sort "mem": sort by rss \(resident memory\) or cpu \(CPU time\)\n$/);
    const watch = await run(['-n', W1, 'ps', '-w', '-o', 'json']);
    assert.equal(watch.code, 2);
    assert.match(watch.stderr, /-w redraws a table: it does not combine with -o/);
  });
});
