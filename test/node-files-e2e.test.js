// `ls`, `read`, `cp` and `usage` against real osd agents (127.54.5.x: one control plane, one worker,
// every call through the control plane's endpoint, most of them forwarded to the worker). The
// worker's state folder is planted with a hostile tree: symlinks to the host's /etc/passwd and /,
// a relative symlink climbing out, a symlinked folder pointing out, a FIFO, a socket. Nothing from
// outside the node may come back, and osd keeps serving after each attempt.
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {clusterDescription, createCluster, discardCluster, makeHome, osctl, runJs, root as repo} from './helpers/cli.js';

const NAME = 'h7files';
const CP = '127.54.5.2';
const W = '127.54.5.3';
const HOST_PASSWD = fs.readFileSync('/etc/passwd', 'utf8');
/** A line of the host's /etc/passwd that no node file holds. */
const HOST_MARK = HOST_PASSWD.split('\n')[0];

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
            command: [sleep, "3600"]
`;

const user = makeHome('osctl-h7files-');
const run = (args, options = {}) => osctl(args, {env: user.env, timeoutMs: 60_000, ...options});
let workerState;
let socketServer;

/** Runs osctl with binary stdout. */
function runBinary(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [runJs, ...args], {env: user.env, cwd: repo, stdio: ['ignore', 'pipe', 'pipe']});
    const out = [];
    let stderr = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({code, stdout: Buffer.concat(out), stderr}));
  });
}

before(async () => {
  const patch = path.join(user.home, 'pod.yaml');
  fs.writeFileSync(patch, PATCH);
  await createCluster(user, ['--name', NAME, '--cidr', '127.54.5.0/24', '--controlplanes', '1', '--workers', '1', '--config-patch', `@${patch}`]);
  workerState = clusterDescription(user.home, NAME).nodes.find((n) => n.address === W).stateDir;
  const hostile = path.join(workerState, 'var/hostile');
  fs.mkdirSync(path.join(hostile, 'sub'), {recursive: true});
  fs.writeFileSync(path.join(hostile, 'sub/inside.txt'), 'inside the node\n');
  fs.symlinkSync('/etc/passwd', path.join(hostile, 'passwd-abs'));
  fs.symlinkSync('../../../../../../../../../../etc/passwd', path.join(hostile, 'passwd-rel'));
  fs.symlinkSync('/', path.join(hostile, 'root-link'));
  fs.symlinkSync('../../../../../../../../../../etc', path.join(hostile, 'etc-out'));
  fs.symlinkSync('sub/inside.txt', path.join(hostile, 'inside-link'));
  spawnSyncMkfifo(path.join(hostile, 'fifo'));
  socketServer = net.createServer().listen(path.join(hostile, 'sock'));
});

function spawnSyncMkfifo(file) {
  const {status} = spawnSync('mkfifo', [file]);
  assert.equal(status, 0, 'mkfifo');
}

after(async () => {
  socketServer?.close();
  await discardCluster(user, NAME);
});

/** osd still answers (after a hostile request). */
async function stillServing() {
  const r = await run(['-n', W, 'read', '/etc/hostname']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `${NAME}-worker-1`);
}

describe('ls', () => {
  it('lists the node\'s folder through the endpoint: `.` first, plain names for one node', async () => {
    const r = await run(['-n', W, 'ls', '/var/hostile']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(r.stdout.split('\n').filter(Boolean), ['.', 'etc-out', 'fifo', 'inside-link', 'passwd-abs', 'passwd-rel', 'root-link', 'sock', 'sub']);
  });

  it('-l shows Go FileMode letters, link targets as text, the NODE column', async () => {
    const r = await run(['-n', W, 'ls', '-l', '/var/hostile']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.match(lines[0], /^NODE +MODE +UID +GID +SIZE\(B\) +LASTMOD +LABEL +NAME$/);
    const row = (name) => lines.find((l) => l.endsWith(` ${name}`) || l.includes(` ${name} -> `));
    assert.match(row('passwd-abs'), new RegExp(`^${W} +Lrwxrwxrwx .* passwd-abs -> /etc/passwd$`));
    assert.match(row('fifo'), /^\S+ +prw-/);
    assert.match(row('sock'), /^\S+ +Srwx/);
    assert.match(row('sub'), /^\S+ +drwx/);
  });

  it('-r walks without following symlinks out; -t filters; several nodes get a NODE NAME table', async () => {
    const r = await run(['-n', W, 'ls', '-r', '-t', 'f', '/var/hostile']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').filter(Boolean), ['sub/inside.txt']);
    const both = await run(['-n', `${CP},${W}`, 'ls', '/etc/kubernetes/manifests']);
    assert.equal(both.code, 0, both.stderr);
    const lines = both.stdout.split('\n').filter(Boolean);
    assert.match(lines[0], /^NODE +NAME$/);
    for (const node of [CP, W]) assert.ok(lines.some((l) => new RegExp(`^${node} +talos-default-sleeper\\.yaml$`).test(l)), both.stdout);
  });

  it('-o json gives records; a symlinked root is resolved inside the node', async () => {
    const r = await run(['-n', W, 'ls', '/var/hostile/root-link/etc', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const records = r.stdout.trim().split(/\n(?=\{)/).map((t) => JSON.parse(t));
    const names = records.map((x) => x.relativeName);
    assert.ok(names.includes('hostname') && names.includes('kubernetes'), r.stdout);
    assert.ok(!names.includes('passwd'), 'the host\'s /etc is not listed');
    assert.equal(records[0].node, W);
  });

  it('bad input: a missing path, -d -3, -r with -d, an unknown type', async () => {
    const missing = await run(['-n', W, 'ls', '/nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`error from node ${W}: rpc error: code = Unknown desc = lstat /nope: no such file or directory`));
    const negative = await run(['-n', W, 'ls', '-d', '-3', '/etc']);
    assert.equal(negative.code, 2);
    assert.match(negative.stderr, /-d\/--depth -3/);
    const both = await run(['-n', W, 'ls', '-r', '-d', '2']);
    assert.match(both.stderr, /only one of flags --recurse and --depth can be specified at the same time/);
    const type = await run(['-n', W, 'ls', '-t', 'x']);
    assert.match(type.stderr, /invalid file type: x/);
  });
});

describe('read', () => {
  it('prints a node file raw; /proc is the host\'s and is read to its end', async () => {
    const r = await run(['-n', W, 'read', '/var/hostile/inside-link']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'inside the node\n');
    const meminfo = await run(['-n', W, 'cat', '/proc/meminfo']);
    assert.equal(meminfo.code, 0, meminfo.stderr);
    assert.match(meminfo.stdout, /^MemTotal:/);
  });

  for (const hostile of ['/var/hostile/passwd-abs', '/var/hostile/passwd-rel', '/var/hostile/etc-out/passwd', '/../../../../etc/passwd', '/proc/self/root/etc/passwd', '/proc/1/root/etc/passwd']) {
    it(`returns nothing from outside the node: ${hostile}`, async () => {
      const r = await run(['-n', W, 'read', hostile]);
      assert.notEqual(r.code, 0);
      assert.equal(r.stdout, '');
      assert.ok(!r.stderr.includes(HOST_MARK), r.stderr);
      assert.match(r.stderr, new RegExp(`error reading from node ${W}: rpc error: code = (NotFound|Unknown) desc = stat `));
    });
  }

  it('a symlinked folder pointing at / stays in the node', async () => {
    const r = await run(['-n', W, 'read', '/var/hostile/root-link/etc/hostname']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${NAME}-worker-1`);
  });

  it('refuses a FIFO at once (no hang), a socket, a folder; osd keeps serving', async () => {
    for (const [p, what] of [['/var/hostile/fifo', 'a named pipe'], ['/var/hostile/sock', 'a socket'], ['/etc', 'a directory']]) {
      const r = await run(['-n', W, 'read', p], {timeoutMs: 15_000});
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`path must be a regular file: ${p} is ${what}`));
    }
    await stillServing();
  });

  it('needs exactly one node', async () => {
    const r = await run(['-n', `${CP},${W}`, 'read', '/etc/hostname']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /command "read" requires exactly one node \(got 2\)/);
  });
});

describe('cp', () => {
  it('extracts the tree; symlinks recreated (not followed), FIFO as an empty file, the socket reported', async () => {
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'h7files-cp-'));
    try {
      const target = path.join(dest, 'out');
      const r = await run(['-n', W, 'cp', '/var/hostile', target]);
      assert.equal(r.code, 1, 'the socket is skipped and reported');
      assert.match(r.stderr, /skipping "\/var\/hostile\/sock": archive\/tar: sockets not supported/);
      assert.equal(fs.readFileSync(path.join(target, 'sub/inside.txt'), 'utf8'), 'inside the node\n');
      assert.equal(fs.readlinkSync(path.join(target, 'passwd-abs')), '/etc/passwd');
      assert.equal(fs.readlinkSync(path.join(target, 'root-link')), '/');
      assert.equal(fs.statSync(path.join(target, 'fifo')).size, 0);
      assert.ok(fs.lstatSync(path.join(target, 'fifo')).isFile());
      // Nothing of the host came inside a regular file.
      for (const f of ['sub/inside.txt', 'fifo']) assert.ok(!fs.readFileSync(path.join(target, f), 'utf8').includes(HOST_MARK));
      // No staging folder is left.
      assert.deepEqual(fs.readdirSync(dest), ['out']);

      const again = await run(['-n', W, 'cp', '/var/hostile/sub', target]);
      assert.equal(again.code, 0, again.stderr);
      assert.ok(fs.existsSync(path.join(target, 'inside.txt')));
      const clash = await run(['-n', W, 'cp', '/var/hostile/sub', target]);
      assert.equal(clash.code, 1);
      assert.match(clash.stderr, /already exists; nothing was written/);
      assert.deepEqual(fs.readdirSync(target).filter((n) => n.startsWith('.')), []);
      const onFile = await run(['-n', W, 'cp', '/etc/hostname', path.join(target, 'inside.txt')]);
      assert.match(onFile.stderr, /should be a directory/);
    } finally {
      fs.rmSync(dest, {recursive: true, force: true});
    }
  });

  it('`-` writes the gzip tar to stdout; a file root is one entry named by its base name', async () => {
    const r = await runBinary(['-n', W, 'cp', '/etc/hostname', '-']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout[0], 0x1f);
    assert.equal(r.stdout[1], 0x8b);
    const {gunzipSync} = await import('node:zlib');
    const tar = gunzipSync(r.stdout);
    assert.equal(tar.subarray(0, 8).toString().replace(/\0.*/, ''), 'hostname');
  });

  for (const [signal, exitCode] of [['SIGINT', 130], ['SIGTERM', 143]]) it(`a copy ended by ${signal} leaves nothing at the destination`, async () => {
    const big = path.join(workerState, 'var/big');
    fs.mkdirSync(big, {recursive: true});
    const block = Buffer.alloc(1 << 20, 7);
    const fd = fs.openSync(path.join(big, 'blob'), 'w');
    for (let i = 0; i < 64; i++) fs.writeSync(fd, block);
    fs.closeSync(fd);
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'h7files-cpint-'));
    try {
      const child = spawn(process.execPath, [runJs, '-n', W, 'cp', '/var/big', path.join(dest, 'out')], {env: user.env, stdio: 'ignore'});
      // Interrupt once the staging folder has started to fill.
      for (let i = 0; i < 200 && !fs.readdirSync(dest).some((n) => n.startsWith('.out.osctl-cp-')); i++) await new Promise((r) => setTimeout(r, 10));
      child.kill(signal);
      const code = await new Promise((resolve) => child.on('close', (c) => resolve(c)));
      assert.equal(code, exitCode);
      assert.deepEqual(fs.readdirSync(dest), []);
    } finally {
      fs.rmSync(dest, {recursive: true, force: true});
      fs.rmSync(big, {recursive: true, force: true});
    }
    await stillServing();
  });

  it('a relative source is refused as Talos does; a missing one names the path', async () => {
    const rel = await run(['-n', W, 'cp', 'etc', '-']);
    assert.equal(rel.code, 1);
    assert.match(rel.stderr, /path is not absolute etc/);
    const missing = await run(['-n', W, 'cp', '/nope', '-']);
    assert.match(missing.stderr, /lstat \/nope: no such file or directory/);
  });
});

describe('usage', () => {
  it('sums the apparent sizes without following symlinks out of the node', async () => {
    const r = await run(['-n', W, 'usage', '/var/hostile']);
    assert.equal(r.code, 0, r.stderr);
    // What lstat says of every entry of the planted tree: symlinks count as their own size.
    const hostile = path.join(workerState, 'var/hostile');
    const lstatTotal = (p) => {
      const info = fs.lstatSync(p);
      return info.size + (info.isDirectory() ? fs.readdirSync(p).reduce((sum, name) => sum + lstatTotal(path.join(p, name)), 0) : 0);
    };
    const expected = lstatTotal(hostile);
    assert.deepEqual(r.stdout.split('\n').filter(Boolean).slice(1).map((l) => l.split(/ +/)), [[String(expected), '.']]);
  });

  it('prints SIZE NAME; the total is the sum of what is under the folder', async () => {
    const r = await run(['-n', W, 'du', '-a', '-d', '1', '/var/hostile/sub']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.match(lines[0], /^SIZE +NAME$/);
    const folder = fs.lstatSync(path.join(workerState, 'var/hostile/sub')).size;
    assert.deepEqual(lines.slice(1).map((l) => l.split(/ +/)), [['16', 'inside.txt'], [String(folder + 16), '.']]);
    const json = await run(['-n', `${CP},${W}`, 'usage', '/etc', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const records = json.stdout.trim().split(/\n(?=\{)/).map((t) => JSON.parse(t));
    assert.deepEqual(records.map((x) => x.node).sort(), [CP, W]);
  });

  it('bad input: negative depth, a bad threshold, a missing path named', async () => {
    const negative = await run(['-n', W, 'usage', '-d', '-3']);
    assert.equal(negative.code, 2);
    const threshold = await run(['-n', W, 'usage', '-t', '10k']);
    assert.equal(threshold.code, 2);
    const missing = await run(['-n', W, 'usage', '/nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`${W}: lstat /nope: no such file or directory`));
  });
});
