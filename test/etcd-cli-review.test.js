// Review of the etcd and disaster-recovery CLI (issue 8) as scripts and operators use it: hostile
// snapshot paths (a planted .part link, a folder, a FIFO, a missing folder, an existing file, a
// link), and bootstrap's warnings for a worker or a target whose etcd runs. The built CLI talks to
// an in-process fake MachineService (mTLS on 127.69.1.10) that streams a snapshot real etcd made
// (etcd on 127.69.1.2, plain http).
import assert from 'node:assert/strict';
import {execFile, spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {after, before, describe, it} from 'node:test';
import {promisify} from 'node:util';
import * as grpc from '@grpc/grpc-js';
import {MachineServiceService} from '../dist/machinery/api/machine/machine.js';
import {StateService} from '../dist/machinery/api/v1alpha1/state.js';
import {generateCA, issueClientCert, issueServerCert} from '../dist/machinery/pki.js';
import {DAY, freePort, normalizeKey} from './helpers/agents.js';
import {makeHome, osctl, runJs} from './helpers/cli.js';

const run = promisify(execFile);
const ETCD = '127.69.1.2';
const ETCD_ENDPOINT = `http://${ETCD}:2379`;
const ENDPOINT = '127.69.1.10';
/** a control plane whose etcd waits in Preparing */
const CP = '127.69.1.11';
/** a control plane whose etcd runs */
const CP_RUNNING = '127.69.1.12';
const WORKER = '127.69.1.13';

let dir;
let etcd;
let server;
let env;
let snapshot;
let snapshotCalls = 0;
const uploads = [];
const bootstraps = [];

const failure = (code, details) => Object.assign(new Error(details), {code, details});
const nodeOf = (call) => call.metadata.get('node')[0];

const handlers = {
  etcdSnapshot(call) {
    snapshotCalls++;
    const bytes = fs.readFileSync(snapshot);
    let at = 0;
    const pump = () => {
      while (at < bytes.length && !call.cancelled) {
        const piece = bytes.subarray(at, at + 1024);
        at += piece.length;
        if (!call.write({bytes: piece})) return void call.once('drain', pump);
      }
      call.end();
    };
    pump();
  },
  etcdRecover(call, callback) {
    const node = nodeOf(call);
    if (node === WORKER) {
      call.on('data', () => {});
      return callback(failure(grpc.status.UNIMPLEMENTED, 'etcd recover is only available on control plane nodes'));
    }
    const pieces = [];
    call.on('data', (data) => pieces.push(Buffer.from(data.bytes)));
    call.on('end', () => {
      uploads.push({node, bytes: Buffer.concat(pieces)});
      callback(null, {messages: [{}]});
    });
  },
  bootstrap(call, callback) {
    const node = nodeOf(call);
    bootstraps.push({node, request: call.request});
    if (node === WORKER) return callback(failure(grpc.status.UNIMPLEMENTED, 'bootstrap is only available on control plane nodes'));
    if (node === CP_RUNNING) return callback(failure(grpc.status.ALREADY_EXISTS, 'etcd data directory is not empty'));
    callback(null, {messages: [{}]});
  },
  // slower than the tests' --timeout: the node still finishes after the client gave up
  etcdLeaveCluster(call, callback) {
    setTimeout(() => callback(null, {messages: [{}]}), 3000).unref();
  },
  etcdDefragment(call, callback) {
    setTimeout(() => callback(null, {messages: [{}]}), 3000).unref();
  },
  serviceList(call, callback) {
    const node = nodeOf(call);
    const services = node === WORKER ? [] : [{id: 'etcd', state: node === CP_RUNNING ? 'Running' : 'Preparing', health: {unknown: true, healthy: false, lastMessage: ''}, events: {events: []}}];
    callback(null, {messages: [{services}]});
  },
};

const member = (id, address, machineType) => ({
  resource: {
    metadata: {namespace: 'cluster', type: 'Members.cluster.talos.dev', id, version: '1', owner: 'cluster.MemberController', phase: 'running', labels: {}, annotations: {}, finalizers: []},
    spec: {yamlSpec: `nodeId: ${id}\naddresses:\n    - ${address}\nhostname: ${id}\nmachineType: ${machineType}\n`, protoSpec: new Uint8Array()},
  },
});

const stateHandlers = {
  list(call) {
    for (const m of [member('cp-1', CP, 'controlplane'), member('cp-2', CP_RUNNING, 'controlplane'), member('w-1', WORKER, 'worker')]) call.write(m);
    call.end();
  },
  get(call, callback) {
    callback(failure(grpc.status.NOT_FOUND, 'not found'));
  },
  watch(call) {
    call.end();
  },
};

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osctl-etcd-review-'));
  etcd = spawn('etcd', [
    '--name', 'm1', '--data-dir', path.join(dir, 'data'), '--logger', 'zap',
    '--listen-client-urls', ETCD_ENDPOINT, '--advertise-client-urls', ETCD_ENDPOINT,
    '--listen-peer-urls', `http://${ETCD}:2380`, '--initial-advertise-peer-urls', `http://${ETCD}:2380`,
    '--initial-cluster', `m1=http://${ETCD}:2380`,
  ], {stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'etcd.log'), 'w')]});
  for (let waited = 0; ; waited += 100) {
    try {
      await run('etcdctl', [`--endpoints=${ETCD_ENDPOINT}`, 'put', '/review/key', 'value']);
      break;
    } catch (err) {
      if (waited > 20_000 || etcd.exitCode !== null) throw new Error('etcd did not come up', {cause: err});
      await delay(100);
    }
  }
  snapshot = path.join(dir, 'source.snapshot');
  await run('etcdctl', [`--endpoints=${ETCD_ENDPOINT}`, 'snapshot', 'save', snapshot]);

  const ca = await generateCA({organization: 'talos', ttlMs: DAY});
  const serverCert = await issueServerCert(ca, {ips: [ENDPOINT], dnsNames: ['fake'], commonName: 'fake', ttlMs: DAY});
  const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
  const port = await freePort([ENDPOINT]);
  server = new grpc.Server();
  server.addService(MachineServiceService, handlers);
  server.addService(StateService, stateHandlers);
  const credentials = grpc.ServerCredentials.createSsl(Buffer.from(ca.crt), [{private_key: Buffer.from(normalizeKey(serverCert.key)), cert_chain: Buffer.from(serverCert.crt)}], true);
  await new Promise((resolve, reject) => server.bindAsync(`${ENDPOINT}:${port}`, credentials, (err) => (err ? reject(err) : resolve())));
  const user = makeHome('osctl-etcd-review-');
  env = user.env;
  fs.mkdirSync(path.join(user.home, '.talos'), {recursive: true});
  const b64 = (text) => Buffer.from(text).toString('base64');
  fs.writeFileSync(user.talosconfig, [
    'context: fake',
    'contexts:',
    '  fake:',
    `    endpoints: ["${ENDPOINT}:${port}"]`,
    `    nodes: ["${CP}"]`,
    `    ca: ${b64(ca.crt)}`,
    `    crt: ${b64(admin.crt)}`,
    `    key: ${b64(admin.key)}`,
    '',
  ].join('\n'));
  // the home goes with the folder
  fs.renameSync(user.home, path.join(dir, 'home'));
  env.HOME = path.join(dir, 'home');
});

after(async () => {
  if (server) await new Promise((resolve) => server.tryShutdown(resolve));
  if (etcd && etcd.exitCode === null) {
    const exited = new Promise((resolve) => etcd.once('exit', resolve));
    process.kill(etcd.pid, 'SIGTERM');
    const timer = setTimeout(() => etcd.exitCode === null && process.kill(etcd.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (dir) fs.rmSync(dir, {recursive: true, force: true});
});

const cli = (args, options) => osctl(args, {env, timeoutMs: 30_000, cwd: dir, ...options});

function folder(name) {
  const at = path.join(dir, name);
  fs.mkdirSync(at);
  return {at, entries: () => fs.readdirSync(at).sort()};
}

describe('etcd snapshot: hostile paths', () => {
  it('a link planted at <path>.part is neither followed nor written through: its target keeps its bytes and mode', async () => {
    const out = folder('planted');
    const victim = path.join(out.at, 'victim');
    fs.writeFileSync(victim, 'precious\n', {mode: 0o644});
    fs.chmodSync(victim, 0o644);
    fs.symlinkSync(victim, path.join(out.at, 'db.snapshot.part'));
    const r = await cli(['etcd', 'snapshot', path.join(out.at, 'db.snapshot')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious\n');
    assert.equal(fs.statSync(victim).mode & 0o777, 0o644);
    assert.ok(fs.readFileSync(path.join(out.at, 'db.snapshot')).equals(fs.readFileSync(snapshot)));
    assert.ok(fs.lstatSync(path.join(out.at, 'db.snapshot')).isFile());
    assert.deepEqual(out.entries(), ['db.snapshot', 'victim']);
  });

  it('a stale .part of another mode is replaced; the snapshot is 0600', async () => {
    const out = folder('stale');
    fs.writeFileSync(path.join(out.at, 'db.snapshot.part'), 'old junk', {mode: 0o666});
    fs.chmodSync(path.join(out.at, 'db.snapshot.part'), 0o666);
    const r = await cli(['etcd', 'snapshot', path.join(out.at, 'db.snapshot')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.statSync(path.join(out.at, 'db.snapshot')).mode & 0o777, 0o600);
    assert.deepEqual(out.entries(), ['db.snapshot']);
  });

  it('a folder as the path: a usage error before anything is downloaded; the folder is untouched', async () => {
    const out = folder('a-folder');
    const calls = snapshotCalls;
    const r = await cli(['etcd', 'snapshot', out.at]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `error: ${JSON.stringify(out.at)} is a directory: give the snapshot's file name\n  hint: e.g. \`osctl etcd snapshot ${path.join(out.at, 'db.snapshot')}\`\n`);
    assert.equal(snapshotCalls, calls, 'no EtcdSnapshot call');
    assert.deepEqual(out.entries(), []);
    assert.equal(fs.existsSync(`${out.at}.part`), false);
  });

  it('a FIFO (or a device) as the path is refused, not renamed over; `-` is the way to it', async () => {
    const out = folder('fifo');
    const fifo = path.join(out.at, 'pipe');
    await run('mkfifo', [fifo]);
    const calls = snapshotCalls;
    const r = await cli(['etcd', 'snapshot', fifo]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: ".*pipe" is not a regular file \(a device, FIFO or socket\): .*\n  hint: .*`osctl etcd snapshot - > .*pipe`\n$/);
    assert.equal(snapshotCalls, calls);
    assert.ok(fs.lstatSync(fifo).isFIFO());
    assert.deepEqual(out.entries(), ['pipe']);
  });

  it('a path in a missing folder: the path once, the reason, a hint; exit 1', async () => {
    const target = path.join(dir, 'no-such-folder', 'db.snapshot');
    const r = await cli(['etcd', 'snapshot', target]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: error creating temporary file ${JSON.stringify(`${target}.part`)}: no such file or directory\n  hint: the folder does not exist: create it first, or give another path\n`);
    assert.equal(fs.existsSync(path.dirname(target)), false);
  });

  it('an existing file is replaced whole; a link at the path is replaced by the file, its target kept (as talosctl\'s rename)', async () => {
    const out = folder('existing');
    const file = path.join(out.at, 'db.snapshot');
    fs.writeFileSync(file, 'yesterday');
    const first = await cli(['etcd', 'snapshot', file]);
    assert.equal(first.code, 0, first.stderr);
    assert.ok(fs.readFileSync(file).equals(fs.readFileSync(snapshot)));
    const kept = path.join(out.at, 'kept');
    fs.writeFileSync(kept, 'kept\n');
    fs.symlinkSync(kept, path.join(out.at, 'latest'));
    const second = await cli(['etcd', 'snapshot', path.join(out.at, 'latest')]);
    assert.equal(second.code, 0, second.stderr);
    assert.ok(fs.lstatSync(path.join(out.at, 'latest')).isFile());
    assert.equal(fs.readFileSync(kept, 'utf8'), 'kept\n');
    assert.deepEqual(out.entries(), ['db.snapshot', 'kept', 'latest']);
  });
});

describe('bootstrap: warnings', () => {
  it('a worker target: only the node\'s refusal, no warnings about the control planes', async () => {
    const r = await cli(['-n', WORKER, 'bootstrap']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'error: error executing bootstrap: rpc error: code = Unimplemented desc = bootstrap is only available on control plane nodes\n');
  });

  it('a target whose etcd runs is named before the upload, the others are not', async () => {
    const before = uploads.length;
    const r = await cli(['-n', CP_RUNNING, 'bootstrap', `--recover-from=${snapshot}`]);
    assert.equal(r.code, 1);
    const lines = r.stderr.split('\n');
    assert.equal(lines[0], `warning: etcd on ${CP_RUNNING} is Running: its data directory is not empty, so expect "etcd data directory is not empty"; wipe it first with \`osctl -n ${CP_RUNNING} reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL\``);
    assert.equal(lines[1], 'error: error executing bootstrap: rpc error: code = AlreadyExists desc = etcd data directory is not empty');
    assert.equal(uploads.length, before + 1);
  });

  it('a Preparing target: the running control plane is named with the neutral text', async () => {
    const r = await cli(['-n', CP, 'bootstrap']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `warning: etcd on ${CP_RUNNING} (cp-2) is Running, not Preparing: it will not join the new cluster; wipe it with \`osctl -n ${CP_RUNNING} reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL\`\n`);
    assert.deepEqual(bootstraps.at(-1), {node: CP, request: {recoverEtcd: false, recoverSkipHashCheck: false}});
  });
});

describe('etcd leave and defrag: a deadline does not stop the node', () => {
  for (const [command, hint] of [['leave', /it goes on leaving after this deadline: check `osctl -n 127\.69\.1\.11 service etcd`.*\n  hint: .*--timeout 10m\n$/], ['defrag', /its member goes on defragmenting after this deadline: watch DB SIZE in `osctl -n 127\.69\.1\.11 etcd status`.*\n  hint: .*--timeout 5m\n$/]]) {
    it(`${command}: the timeout says the node may still be at it, not just "retry"`, async () => {
      const r = await cli(['-n', CP, 'etcd', command, '--timeout', '1s']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^error: node 127\.69\.1\.11 via endpoint 127\.69\.1\.10:\d+ did not answer within 1s\.\n  hint: if the call reached the node, /);
      assert.match(r.stderr, hint);
      assert.doesNotMatch(r.stderr, /retry with a larger --timeout/);
    });
  }
});

describe('a FIFO given as a snapshot to read', () => {
  // Opening it would block in a thread that even process.exit waits for: only SIGKILL ended osctl.
  for (const args of [(fifo) => ['etcd', 'snapshot', 'inspect', fifo], (fifo) => ['-n', CP, 'bootstrap', `--recover-from=${fifo}`]]) {
    it(`${args('F').join(' ')}: refused at once, nothing uploaded`, async () => {
      const out = folder(`read-fifo-${args('F').includes('inspect') ? 'inspect' : 'bootstrap'}`);
      const fifo = path.join(out.at, 'F');
      await run('mkfifo', [fifo]);
      const before = uploads.length;
      const r = await cli(args(fifo), {timeoutMs: 10_000});
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `error: ${JSON.stringify(fifo)} is not a regular file\n`);
      assert.equal(uploads.length, before);
    });
  }
});

describe('etcd snapshot - on a terminal', () => {
  it('refuses to write the binary stream to a terminal (usage, exit 2), before any download', async () => {
    // script(1) gives osctl a terminal for stdin, stdout and stderr, and copies what it printed
    const command = [process.execPath, runJs, 'etcd', 'snapshot', '-'].map((w) => `'${w}'`).join(' ');
    const calls = snapshotCalls;
    const r = await new Promise((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], {env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('close', (code) => resolve({code, text}));
    });
    assert.equal(r.code, 2, r.text);
    assert.match(r.text, /error: refusing to write the binary snapshot to a terminal\r?\n {2}hint: redirect stdout/);
    assert.equal(snapshotCalls, calls);
  });
});
