// `etcd snapshot`, `etcd snapshot inspect` and `bootstrap --recover-from` through the built CLI
// against an in-process fake MachineService (mTLS on 127.62.0.10) that answers per `node` metadata
// with a snapshot real etcd made (etcd on 127.62.0.2, plain http): what lands on disk, what is
// printed, what is uploaded, and that nothing partial is left by a failure, a stall or Ctrl-C.
import assert from 'node:assert/strict';
import {execFile, spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
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
import {makeHome, osctl, osctlSpawn, runJs} from './helpers/cli.js';

const run = promisify(execFile);
const ETCD = '127.62.0.2';
const ETCD_ENDPOINT = `http://${ETCD}:2379`;
const ENDPOINT = '127.62.0.10';
const CP = '127.62.0.11';
/** a control plane whose etcd runs (bootstrap warns about it) */
const CP_RUNNING = '127.62.0.12';
const WORKER = '127.62.0.13';
const STALL = '127.62.0.14';
const BAD_SUM = '127.62.0.15';
const NO_TRAILER = '127.62.0.16';
/** sends slowly, forever: for Ctrl-C */
const SLOW = '127.62.0.17';
/** Bootstrap answers AlreadyExists */
const EXISTS = '127.62.0.18';
/** a damaged database with a digest that matches it */
const DAMAGED = '127.62.0.19';

let dir;
let etcd;
let server;
let env;
let home;
/** the snapshot etcdctl saved, its member db copy (no trailer), and etcdctl's status of it */
let snapshot;
let memberDb;
let expected;
const uploads = [];
const bootstraps = [];

const failure = (code, details) => Object.assign(new Error(details), {code, details});
const nodeOf = (call) => call.metadata.get('node')[0];

function streamBytes(call, bytes, {chunk = 1024, stopAfter = Infinity} = {}) {
  let at = 0;
  let sent = 0;
  const pump = () => {
    while (at < bytes.length && !call.cancelled) {
      if (sent++ >= stopAfter) return; // stays open, silent
      const piece = bytes.subarray(at, at + chunk);
      at += piece.length;
      if (!call.write({bytes: piece})) return void call.once('drain', pump);
    }
    if (at >= bytes.length) call.end();
  };
  pump();
}

const handlers = {
  etcdSnapshot(call) {
    const node = nodeOf(call);
    const bytes = fs.readFileSync(snapshot);
    switch (node) {
      case WORKER:
        return call.emit('error', failure(grpc.status.UNIMPLEMENTED, 'etcd snapshot is only available on control plane nodes'));
      case STALL:
        return streamBytes(call, bytes, {stopAfter: 10});
      case BAD_SUM: {
        const changed = Buffer.from(bytes);
        changed[5000] ^= 1;
        return streamBytes(call, changed);
      }
      case NO_TRAILER:
        return streamBytes(call, fs.readFileSync(memberDb));
      case DAMAGED: {
        const db = Buffer.from(bytes.subarray(0, bytes.length - 32));
        db.fill(0xab, 3 * 4096, 3 * 4096 + 64);
        return streamBytes(call, Buffer.concat([db, createHash('sha256').update(db).digest()]));
      }
      case SLOW: {
        let at = 0;
        const timer = setInterval(() => {
          if (call.cancelled) return clearInterval(timer);
          call.write({bytes: bytes.subarray(at % bytes.length, (at % bytes.length) + 1024)});
          at += 1024;
        }, 20);
        call.on('cancelled', () => clearInterval(timer));
        return;
      }
      default:
        return streamBytes(call, bytes);
    }
  },
  etcdRecover(call, callback) {
    const node = nodeOf(call);
    const pieces = [];
    call.on('data', (data) => pieces.push(Buffer.from(data.bytes)));
    call.on('end', () => {
      uploads.push({node, bytes: Buffer.concat(pieces), messages: pieces.length});
      callback(null, {messages: [{}]});
    });
  },
  bootstrap(call, callback) {
    const node = nodeOf(call);
    bootstraps.push({node, request: call.request});
    if (node === EXISTS) return callback(failure(grpc.status.ALREADY_EXISTS, 'etcd data directory is not empty'));
    if (node === WORKER) return callback(failure(grpc.status.UNIMPLEMENTED, 'bootstrap is only available on control plane nodes'));
    callback(null, {messages: [{}]});
  },
  serviceList(call, callback) {
    const state = nodeOf(call) === CP_RUNNING ? 'Running' : 'Preparing';
    callback(null, {messages: [{services: [{id: 'etcd', state, health: {unknown: true, healthy: false, lastMessage: ''}, events: {events: []}}]}]});
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

async function etcdctl(args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn('etcdctl', [`--endpoints=${ETCD_ENDPOINT}`, ...args], {stdio: ['pipe', 'pipe', 'pipe']});
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`etcdctl ${args.join(' ')}: ${err}`))));
    child.stdin.end(input ?? '');
  });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osctl-etcd-cli-'));
  etcd = spawn('etcd', [
    '--name', 'm1', '--data-dir', path.join(dir, 'data'), '--logger', 'zap',
    '--listen-client-urls', ETCD_ENDPOINT, '--advertise-client-urls', ETCD_ENDPOINT,
    '--listen-peer-urls', `http://${ETCD}:2380`, '--initial-advertise-peer-urls', `http://${ETCD}:2380`,
    '--initial-cluster', `m1=http://${ETCD}:2380`,
  ], {stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'etcd.log'), 'w')]});
  for (let waited = 0; ; waited += 100) {
    try {
      await run('etcdctl', [`--endpoints=${ETCD_ENDPOINT}`, 'endpoint', 'health']);
      break;
    } catch (err) {
      if (waited > 20_000 || etcd.exitCode !== null) throw new Error('etcd did not come up', {cause: err});
      await delay(100);
    }
  }
  for (let start = 0; start < 3000; start += 128) {
    const puts = Array.from({length: 128}, (_, i) => `put /key/${String(start + i).padStart(5, '0')} ${'v'.repeat(200)}\n`).join('');
    await etcdctl(['txn'], `\n${puts}\n\n`);
  }
  await etcdctl(['del', '/key/00100', '/key/00200']);
  snapshot = path.join(dir, 'source.snapshot');
  await etcdctl(['snapshot', 'save', snapshot]);
  memberDb = path.join(dir, 'member-db');
  fs.copyFileSync(path.join(dir, 'data', 'member', 'snap', 'db'), memberDb);
  const status = JSON.parse((await run('etcdctl', ['snapshot', 'status', snapshot, '-w', 'json'])).stdout);
  const live = JSON.parse(await etcdctl(['get', '--prefix', '', '--limit', '1', '-w', 'json'])).count;
  assert.equal(live, 3072 - 100);
  expected = `hash ${status.hash.toString(16).padStart(8, '0')}, revision ${status.revision}, total keys ${live}, total size ${status.totalSize}`;

  const ca = await generateCA({organization: 'talos', ttlMs: DAY});
  const serverCert = await issueServerCert(ca, {ips: [ENDPOINT], dnsNames: ['fake'], commonName: 'fake', ttlMs: DAY});
  const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
  const port = await freePort([ENDPOINT]);
  server = new grpc.Server();
  server.addService(MachineServiceService, handlers);
  server.addService(StateService, stateHandlers);
  const credentials = grpc.ServerCredentials.createSsl(Buffer.from(ca.crt), [{private_key: Buffer.from(normalizeKey(serverCert.key)), cert_chain: Buffer.from(serverCert.crt)}], true);
  await new Promise((resolve, reject) => server.bindAsync(`${ENDPOINT}:${port}`, credentials, (err) => (err ? reject(err) : resolve())));
  ({home, env} = makeHome('osctl-etcd-cli-'));
  fs.mkdirSync(path.join(home, '.talos'), {recursive: true});
  const b64 = (text) => Buffer.from(text).toString('base64');
  fs.writeFileSync(path.join(home, '.talos', 'config'), [
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
  if (home) fs.rmSync(home, {recursive: true, force: true});
});

const cli = (args, options) => osctl(args, {env, timeoutMs: 30_000, cwd: dir, ...options});

/** A fresh folder for one test's output; asserts at the end that it holds exactly `names`. */
function outputFolder(name) {
  const folder = path.join(dir, name);
  fs.mkdirSync(folder);
  return {folder, file: path.join(folder, 'db.snapshot'), entries: () => fs.readdirSync(folder).sort()};
}

describe('etcd snapshot', () => {
  it('saves the stream, checked, with talosctl\'s two lines; the file is etcd\'s bytes, mode 0600', async () => {
    const out = outputFolder('ok');
    const r = await cli(['etcd', 'snapshot', out.file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const size = fs.statSync(snapshot).size;
    assert.equal(r.stdout, `etcd snapshot saved to ${JSON.stringify(out.file)} (${size} bytes)\nsnapshot info: ${expected}\n`);
    assert.ok(fs.readFileSync(out.file).equals(fs.readFileSync(snapshot)));
    assert.equal(fs.statSync(out.file).mode & 0o777, 0o600);
    assert.deepEqual(out.entries(), ['db.snapshot']);
  });

  it('`-` writes the stream to stdout and nothing else', async () => {
    const child = osctlSpawn(['etcd', 'snapshot', '-'], {env});
    const chunks = [];
    let stderr = '';
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    assert.ok(Buffer.concat(chunks).equals(fs.readFileSync(snapshot)));
  });

  it('on a terminal, stderr shows bytes and rate, erased at the end', async () => {
    const out = outputFolder('tty');
    // script(1) gives osctl a terminal for stdin, stdout and stderr, and copies what it printed
    const command = [process.execPath, runJs, 'etcd', 'snapshot', out.file].map((w) => `'${w}'`).join(' ');
    const r = await new Promise((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], {env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('close', (code) => resolve({code, text}));
    });
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /\r\x1b\[Kreceiving etcd snapshot: \d+(\.\d)? [kM]?B( \([\d.]+ [kMG]?B\/s\))?/);
    assert.match(r.text, /\r\x1b\[Ketcd snapshot saved to /, 'the progress line is erased before the result');
    assert.ok(fs.readFileSync(out.file).equals(fs.readFileSync(snapshot)));
  });

  it('several nodes: talosctl\'s text, nothing written', async () => {
    const out = outputFolder('several');
    const r = await cli(['-n', `${CP},${CP_RUNNING}`, 'etcd', 'snapshot', out.file]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'error: command "etcd snapshot" requires exactly one node (got 2)\n');
    assert.deepEqual(out.entries(), []);
  });

  it('a worker: the node\'s Unimplemented text; no file, no .part', async () => {
    const out = outputFolder('worker');
    const r = await cli(['-n', WORKER, 'etcd', 'snapshot', out.file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: error reading: rpc error: code = Unimplemented desc = etcd snapshot is only available on control plane nodes\n$/);
    assert.deepEqual(out.entries(), []);
  });

  it('a stream that stalls fails after --stall-timeout; nothing left', async () => {
    const out = outputFolder('stall');
    const started = Date.now();
    const r = await cli(['-n', STALL, 'etcd', 'snapshot', out.file, '--stall-timeout', '1s']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: error reading: node 127\.62\.0\.14 sent no snapshot data for 1s\n  hint: /);
    assert.ok(Date.now() - started < 10_000);
    assert.deepEqual(out.entries(), []);
  });

  it('a digest that does not match the data: refused, nothing left', async () => {
    const out = outputFolder('badsum');
    const r = await cli(['-n', BAD_SUM, 'etcd', 'snapshot', out.file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: sha256 checksum mismatch: the snapshot's last 32 bytes are [0-9a-f]{64}, its data hashes to [0-9a-f]{64}\n$/);
    assert.deepEqual(out.entries(), []);
  });

  it('a stream without the digest: talosctl\'s text, nothing left', async () => {
    const out = outputFolder('notrailer');
    const r = await cli(['-n', NO_TRAILER, 'etcd', 'snapshot', out.file]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: sha256 checksum not found (size ${fs.statSync(memberDb).size})\n`);
    assert.deepEqual(out.entries(), []);
  });

  it('a database the reader refuses but whose digest matches is kept, with an error', async () => {
    const out = outputFolder('damaged');
    const r = await cli(['-n', DAMAGED, 'etcd', 'snapshot', out.file]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^etcd snapshot saved to ".*db\.snapshot" \(\d+ bytes\)\n$/);
    assert.match(r.stderr, /^error: the snapshot's sha256 digest matches, but its database cannot be read: snapshot file integrity check failed\. \d+ errors found\./);
    assert.deepEqual(out.entries(), ['db.snapshot']);
  });

  it('Ctrl-C during the download: exit 130, no file, no .part', async () => {
    const out = outputFolder('interrupt');
    const child = osctlSpawn(['-n', SLOW, 'etcd', 'snapshot', out.file], {env});
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise((resolve) => child.on('close', resolve));
    for (let waited = 0; !fs.existsSync(`${out.file}.part`); waited += 20) {
      assert.ok(waited < 10_000, 'the .part file appears');
      await delay(20);
    }
    await delay(300);
    process.kill(child.pid, 'SIGINT');
    assert.equal(await closed, 130, stderr);
    assert.equal(stderr, '');
    assert.deepEqual(out.entries(), []);
  });

  it('the disk filling up: a clear error, nothing left', async (t) => {
    const out = outputFolder('full');
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'osctl-test', out.folder]);
    t.after(() => run('umount', [out.folder]));
    const r = await cli(['etcd', 'snapshot', out.file]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: error writing ${JSON.stringify(`${out.file}.part`)}: no space left on device\n`);
    assert.deepEqual(out.entries(), []);
  });

  it('a bad --stall-timeout is a usage error', async () => {
    const r = await cli(['etcd', 'snapshot', 'x.db', '--stall-timeout', 'soon']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--stall-timeout/);
    assert.equal(fs.existsSync(path.join(dir, 'x.db.part')), false);
  });
});

describe('etcd snapshot inspect', () => {
  it('prints the info line and the trailer; -o json has etcdctl\'s field names', async () => {
    const r = await cli(['etcd', 'snapshot', 'inspect', snapshot]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `snapshot info: ${expected}\nsha256 trailer: valid\n`);
    const json = await cli(['etcd', 'snapshot', 'inspect', snapshot, '-o', 'json']);
    const status = JSON.parse((await run('etcdctl', ['snapshot', 'status', snapshot, '-w', 'json'])).stdout);
    assert.deepEqual(JSON.parse(json.stdout), {hash: status.hash, revision: status.revision, totalKey: 3072 - 100, totalSize: status.totalSize, trailer: {present: true, valid: true}});
  });

  it('a member db: trailer absent, exit 0; a changed byte: MISMATCH, exit 1', async () => {
    const r = await cli(['etcd', 'snapshot', 'inspect', memberDb]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\nsha256 trailer: absent\n$/);
    const changed = path.join(dir, 'changed.snapshot');
    const bytes = fs.readFileSync(snapshot);
    bytes[bytes.length - 1] ^= 1;
    fs.writeFileSync(changed, bytes);
    const bad = await cli(['etcd', 'snapshot', 'inspect', changed]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /sha256 trailer: MISMATCH\n$/);
    assert.match(bad.stderr, /^error: ".*changed\.snapshot": sha256 checksum mismatch: /);
  });

  it('truncated and garbage files: one clear error each', async () => {
    const truncated = path.join(dir, 'truncated.snapshot');
    fs.writeFileSync(truncated, fs.readFileSync(snapshot).subarray(0, 70_000));
    const r = await cli(['etcd', 'snapshot', 'inspect', truncated]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: ".*truncated\.snapshot" is truncated: it holds 70000 bytes, its header says \d+ \(\d+ pages of 4096 bytes\)\n$/);
    const text = path.join(dir, 'text.snapshot');
    fs.writeFileSync(text, 'not a database\n'.repeat(1000));
    const t = await cli(['etcd', 'snapshot', 'inspect', text]);
    assert.equal(t.code, 1);
    assert.match(t.stderr, /is not an etcd snapshot: no valid bbolt meta page/);
  });
});

describe('bootstrap', () => {
  it('--recover-from: checked, announced, uploaded byte for byte, then Bootstrap{recover_etcd}; a running control plane is named', async () => {
    const before = uploads.length;
    const r = await cli(['-n', CP, 'bootstrap', `--recover-from=${snapshot}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `recovering from snapshot ${JSON.stringify(snapshot)}: ${expected}\n`);
    assert.match(r.stderr, /^warning: etcd on 127\.62\.0\.12 \(cp-2\) is Running, not Preparing: .*reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL`\n$/);
    assert.equal(uploads.length, before + 1);
    assert.equal(uploads.at(-1).node, CP);
    assert.ok(uploads.at(-1).bytes.equals(fs.readFileSync(snapshot)));
    assert.deepEqual(bootstraps.at(-1), {node: CP, request: {recoverEtcd: true, recoverSkipHashCheck: false}});
  });

  it('a member db without --recover-skip-hash-check: refused before any upload', async () => {
    const before = {uploads: uploads.length, bootstraps: bootstraps.length};
    const r = await cli(['-n', CP, 'bootstrap', '--recover-from', memberDb]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /has no sha256 trailer .*snapshot missing hash but --skip-hash-check=false\n  hint: .*--recover-skip-hash-check\n$/);
    assert.deepEqual({uploads: uploads.length, bootstraps: bootstraps.length}, before);
  });

  it('a member db with --recover-skip-hash-check: uploaded, Bootstrap says skip', async () => {
    const r = await cli(['-n', CP, 'bootstrap', '--recover-from', memberDb, '--recover-skip-hash-check']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^recovering from snapshot ".*member-db": hash [0-9a-f]{8}, revision \d+, total keys 2972, total size \d+\n$/);
    assert.ok(uploads.at(-1).bytes.equals(fs.readFileSync(memberDb)));
    assert.deepEqual(bootstraps.at(-1).request, {recoverEtcd: true, recoverSkipHashCheck: true});
  });

  it('damaged snapshots are never uploaded', async () => {
    const before = uploads.length;
    const bytes = fs.readFileSync(snapshot);
    const changedData = Buffer.from(bytes);
    changedData[bytes.length - 100] ^= 1;
    const cases = {
      truncated: [bytes.subarray(0, 50_000), /is truncated/],
      'garbled pages': [Buffer.concat([bytes.subarray(0, 3 * 4096), Buffer.alloc(4096, 0xab), bytes.subarray(4 * 4096)]), /snapshot file integrity check failed\. \d+ errors found\./],
      'changed trailer': [changedData, /sha256 checksum mismatch/],
    };
    for (const [name, [content, message]] of Object.entries(cases)) {
      const file = path.join(dir, `${name.replace(' ', '-')}.db`);
      fs.writeFileSync(file, content);
      const r = await cli(['-n', CP, 'bootstrap', `--recover-from=${file}`]);
      assert.equal(r.code, 1, name);
      assert.match(r.stderr, message, name);
      assert.equal(r.stdout, '', name);
    }
    assert.equal(uploads.length, before);
  });

  it('AlreadyExists is explained', async () => {
    const r = await cli(['-n', EXISTS, 'bootstrap', `--recover-from=${snapshot}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^(warning: .*\n)*error: error executing bootstrap: rpc error: code = AlreadyExists desc = etcd data directory is not empty\n  hint: etcd on 127\.62\.0\.18 has data already, so the snapshot was uploaded but not restored; wipe it first with `osctl -n 127\.62\.0\.18 reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL`/);
  });

  it('plain bootstrap sends Bootstrap{} to the one node; a worker gets the node\'s text', async () => {
    const r = await cli(['-n', CP, 'bootstrap']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(bootstraps.at(-1), {node: CP, request: {recoverEtcd: false, recoverSkipHashCheck: false}});
    const w = await cli(['-n', WORKER, 'bootstrap']);
    assert.equal(w.code, 1);
    assert.match(w.stderr, /error: error executing bootstrap: rpc error: code = Unimplemented desc = bootstrap is only available on control plane nodes\n$/);
  });

  it('usage: several nodes, --recover-skip-hash-check alone', async () => {
    const several = await cli(['-n', `${CP},${EXISTS}`, 'bootstrap']);
    assert.equal(several.code, 1);
    assert.equal(several.stderr, 'error: command "bootstrap" requires exactly one node (got 2)\n');
    const alone = await cli(['-n', CP, 'bootstrap', '--recover-skip-hash-check']);
    assert.equal(alone.code, 2);
    assert.match(alone.stderr, /--recover-skip-hash-check applies to a recovery/);
  });
});
