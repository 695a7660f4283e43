// The osd side of etcd and disaster recovery under hostile conditions: EtcdRecover uploads that
// stall, race, fill the disk or meet links out of the node; the etcd data dir behind a link; etcd
// calls against a member that accepts TCP and never answers; a method looking for a member while
// none runs. In-process handlers and fakes; loopback 127.70.0.0/16.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {promisify} from 'node:util';
import {status} from '@grpc/grpc-js';
import {MachineServiceService} from '../dist/machinery/api/machine/machine.js';
import {Data} from '../dist/machinery/api/common/common.js';
import {bootstrapMethods} from '../dist/agent/server/bootstrap-methods.js';
import {isAuthorized} from '../dist/agent/server/roles.js';
import {etcdMethods} from '../dist/agent/server/etcd-methods.js';
import {EtcdClient} from '../dist/agent/etcd/client.js';
import {EtcdService} from '../dist/agent/etcd/etcd-service.js';
import {eventually, unary} from './helpers/agents.js';
import {clusterDescription, createCluster, discardCluster, makeHome, osctl} from './helpers/cli.js';
import {etcdctl, etcdEndpoints, machineClient, uploadSnapshot} from './helpers/etcd.js';
import {finishInterruptedWipe, wipeEphemeral, WIPING_DIR} from '../dist/agent/lifecycle/wipe.js';

const run = promisify(execFile);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-osd-review-'));
after(() => fs.rmSync(scratch, {recursive: true, force: true}));

let nodes = 0;
/** A node root with var/lib, and a folder beside it that stands for "outside the node". */
function nodeRoot() {
  const root = path.join(scratch, `node-${++nodes}`);
  const outside = path.join(scratch, `outside-${nodes}`);
  fs.mkdirSync(path.join(root, 'var/lib'), {recursive: true});
  fs.mkdirSync(outside);
  return {root, outside, varLib: path.join(root, 'var/lib'), snapshot: path.join(root, 'var/lib/etcd.snapshot')};
}

function recoverHandler(root, {uploadIdleMs} = {}) {
  const node = {
    machineType: () => 'controlplane',
    criReady: async () => true,
    hasEtcdCA: () => true,
    dataDirEmpty: async () => true,
    paths: {root, snapshot: path.join(root, 'var/lib/etcd.snapshot')},
    bootstrap: async () => {},
  };
  const method = new Map(bootstrapMethods(node, {uploadIdleMs})).get(MachineServiceService.etcdRecover.path);
  /** `chunks`: Buffers to send, or functions awaited in between (pauses, checks). */
  return (chunks, signal = new AbortController().signal) =>
    method.handle(
      (async function* () {
        for (const chunk of chunks) {
          if (typeof chunk === 'function') await chunk();
          else yield Buffer.from(Data.encode({bytes: chunk}).finish());
        }
      })(),
      {caller: {roles: ['os:admin']}, signal},
    );
}

const entries = (dir) => fs.readdirSync(dir).sort();
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('roles: the etcd and lifecycle methods as in Talos\'s machined rules', () => {
  // machined.go `rules`; os:impersonator alone grants nothing (it only makes talos-role trusted).
  const TALOS = {
    Bootstrap: ['os:admin'],
    EtcdRecover: ['os:admin'],
    EtcdLeaveCluster: ['os:admin'],
    EtcdRemoveMemberByID: ['os:admin'],
    EtcdForfeitLeadership: ['os:admin'],
    Reset: ['os:admin'],
    EtcdSnapshot: ['os:admin', 'os:operator', 'os:etcd:backup'],
    EtcdMemberList: ['os:admin', 'os:operator', 'os:reader', 'os:etcd:backup'],
    EtcdStatus: ['os:admin', 'os:operator', 'os:reader', 'os:etcd:backup'],
    EtcdAlarmList: ['os:admin', 'os:operator', 'os:reader', 'os:etcd:backup'],
    EtcdAlarmDisarm: ['os:admin', 'os:operator'],
    EtcdDefragment: ['os:admin', 'os:operator'],
    Reboot: ['os:admin', 'os:operator'],
    Shutdown: ['os:admin', 'os:operator'],
    Restart: ['os:admin', 'os:operator'],
  };
  const ROLES = ['os:admin', 'os:operator', 'os:reader', 'os:etcd:backup', 'os:meta:writer', 'os:image:verifier', 'os:impersonator'];
  for (const [method, allowed] of Object.entries(TALOS)) {
    test(method, () => {
      for (const role of ROLES) {
        assert.equal(isAuthorized(`/machine.MachineService/${method}`, [role]), allowed.includes(role), `${method} with ${role}`);
      }
      assert.equal(isAuthorized(`/machine.MachineService/${method}`, []), false);
    });
  }
});

describe('Bootstrap while a Reboot, Reset or Shutdown is under way', () => {
  test('refused as Talos refuses it with a reboot pending: FailedPrecondition, etcd untouched', async () => {
    let pending = true;
    const started = [];
    const node = {
      machineType: () => 'controlplane',
      criReady: async () => true,
      hasEtcdCA: () => true,
      dataDirEmpty: async () => true,
      paths: {root: scratch, snapshot: path.join(scratch, 'etcd.snapshot')},
      bootstrap: async (request) => started.push(request),
    };
    const bootstrap = new Map(bootstrapMethods(node, {actionPending: () => pending})).get(MachineServiceService.bootstrap.path);
    const ask = () => bootstrap.handle(MachineServiceService.bootstrap.requestSerialize({recoverEtcd: true}), {caller: {roles: ['os:admin']}, signal: new AbortController().signal});
    await assert.rejects(ask(), {code: status.FAILED_PRECONDITION, message: 'bootstrap is not available yet'});
    assert.deepEqual(started, []);
    pending = false;
    await ask();
    assert.equal(started.length, 1);
  });
});

describe('EtcdRecover never writes outside the node', () => {
  test('var/lib a link out of the node: refused before anything is written', async () => {
    const {root, outside} = nodeRoot();
    fs.rmSync(path.join(root, 'var/lib'), {recursive: true});
    fs.symlinkSync(outside, path.join(root, 'var/lib'));
    await assert.rejects(recoverHandler(root)([Buffer.from('snapshot')]), (error) => {
      assert.equal(error.code, status.FAILED_PRECONDITION);
      assert.match(error.message, /var\/lib is not a directory of the node/);
      return true;
    });
    assert.deepEqual(entries(outside), []);
  });

  test('var a link out of the node: refused too', async () => {
    const {root, outside} = nodeRoot();
    fs.rmSync(path.join(root, 'var'), {recursive: true});
    fs.mkdirSync(path.join(outside, 'lib'));
    fs.symlinkSync(outside, path.join(root, 'var'));
    await assert.rejects(recoverHandler(root)([Buffer.from('snapshot')]), {code: status.FAILED_PRECONDITION});
    assert.deepEqual(entries(path.join(outside, 'lib')), []);
  });

  test('var/lib/etcd.snapshot a link out of the node: the link is replaced, its target untouched', async () => {
    const {root, outside, snapshot} = nodeRoot();
    const victim = path.join(outside, 'victim');
    fs.writeFileSync(victim, 'precious');
    fs.symlinkSync(victim, snapshot);
    await recoverHandler(root)([Buffer.from('uploaded snapshot')]);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious');
    assert.equal(fs.lstatSync(snapshot).isFile(), true);
    assert.equal(fs.readFileSync(snapshot, 'utf8'), 'uploaded snapshot');
    assert.equal(fs.statSync(snapshot).mode & 0o777, 0o700, "Talos's mode");
  });
});

describe('EtcdRecover uploads: partial, concurrent, stalled, disk full', () => {
  test('while an upload runs, etcd.snapshot holds the previous complete upload, never a partial one', async () => {
    const {root, varLib, snapshot} = nodeRoot();
    const recover = recoverHandler(root);
    await recover([Buffer.from('first complete upload')]);
    let seenMidway;
    await recover([
      Buffer.alloc(50_000, 1),
      async () => {
        seenMidway = fs.readFileSync(snapshot, 'utf8');
        assert.equal(entries(varLib).filter((e) => e.startsWith('.etcd.snapshot.part-')).length, 1, 'the upload goes to a file of its own');
      },
      Buffer.alloc(50_000, 2),
    ]);
    assert.equal(seenMidway, 'first complete upload');
    assert.deepEqual(fs.readFileSync(snapshot), Buffer.concat([Buffer.alloc(50_000, 1), Buffer.alloc(50_000, 2)]));
    assert.deepEqual(entries(varLib), ['etcd.snapshot']);
  });

  test('two uploads at once never mix: the file is one of them, whole', async () => {
    const {root, varLib, snapshot} = nodeRoot();
    const recover = recoverHandler(root);
    const a = Array.from({length: 20}, () => Buffer.alloc(10_000, 0xaa));
    const b = Array.from({length: 30}, () => Buffer.alloc(7_000, 0xbb));
    const paced = (chunks) => chunks.flatMap((chunk) => [chunk, () => delay(2)]);
    await Promise.all([recover(paced(a)), recover(paced(b))]);
    const stored = fs.readFileSync(snapshot);
    assert.ok(stored.equals(Buffer.concat(a)) || stored.equals(Buffer.concat(b)), `a whole upload (${stored.length} bytes)`);
    assert.deepEqual(entries(varLib), ['etcd.snapshot']);
  });

  test('a cancelled upload keeps the previous complete upload and leaves no partial file', async () => {
    const {root, varLib, snapshot} = nodeRoot();
    const recover = recoverHandler(root);
    await recover([Buffer.from('kept')]);
    const abort = new AbortController();
    await assert.rejects(recover([Buffer.alloc(1000), async () => abort.abort(), () => new Promise(() => {})], abort.signal), /upload cancelled/);
    assert.equal(fs.readFileSync(snapshot, 'utf8'), 'kept');
    assert.deepEqual(entries(varLib), ['etcd.snapshot']);
  });

  test('a client that stops sending without ending the call: DeadlineExceeded after the idle limit, nothing left', async () => {
    const {root, varLib} = nodeRoot();
    const started = Date.now();
    await assert.rejects(recoverHandler(root, {uploadIdleMs: 300})([Buffer.alloc(1000), () => new Promise(() => {})]), (error) => {
      assert.equal(error.code, status.DEADLINE_EXCEEDED);
      assert.equal(error.message, 'upload stalled: no data for 0.3 s');
      return true;
    });
    assert.ok(Date.now() - started < 3000);
    assert.deepEqual(entries(varLib), []);
  });

  test('a slow but steady upload is not cut by the idle limit', async () => {
    const {root, snapshot} = nodeRoot();
    const chunks = Array.from({length: 6}, (_, i) => [Buffer.from([i]), () => delay(150)]).flat();
    await recoverHandler(root, {uploadIdleMs: 400})(chunks);
    assert.deepEqual(fs.readFileSync(snapshot), Buffer.from([0, 1, 2, 3, 4, 5]));
  });

  test('what a killed osd left mid-upload is removed by the next upload', async () => {
    const {root, varLib} = nodeRoot();
    fs.writeFileSync(path.join(varLib, '.etcd.snapshot.part-1-00000000-dead'), 'left by a killed osd');
    await recoverHandler(root)([Buffer.from('new')]);
    assert.deepEqual(entries(varLib), ['etcd.snapshot']);
  });

  test('the disk filling up: the write error, no partial file, the previous upload kept', async (t) => {
    const {root, varLib, snapshot} = nodeRoot();
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'osd-review-test', varLib]);
    t.after(() => run('umount', [varLib]));
    const recover = recoverHandler(root);
    await recover([Buffer.from('previous')]);
    await assert.rejects(recover(Array.from({length: 10}, () => Buffer.alloc(16_384, 3))), /ENOSPC|no space left/i);
    assert.deepEqual(entries(varLib), ['etcd.snapshot']);
    assert.equal(fs.readFileSync(snapshot, 'utf8'), 'previous');
  });
});

describe('the etcd data dir behind a link', () => {
  function service(root) {
    return new EtcdService({
      root,
      address: '127.70.0.1',
      hostname: 'cp-1',
      config: () => ({}),
      store: {list: () => []},
      supervisor: {stop: async () => {}},
      serviceLog: {write: () => {}},
      log: {info: () => {}, warn: () => {}, error: () => {}},
    });
  }

  test('leaving (stopAndWipe) does not empty a folder outside the node', async () => {
    const {root, outside} = nodeRoot();
    fs.writeFileSync(path.join(outside, 'keep'), 'x');
    fs.symlinkSync(outside, path.join(root, 'var/lib/etcd'));
    await assert.rejects(service(root).stopAndWipe(), /var\/lib\/etcd is not a directory of the node/);
    assert.deepEqual(entries(outside), ['keep']);
  });

  test('a real data dir is emptied, the folder kept', async () => {
    const {root} = nodeRoot();
    fs.mkdirSync(path.join(root, 'var/lib/etcd/member/snap'), {recursive: true});
    fs.writeFileSync(path.join(root, 'var/lib/etcd/member/snap/db'), 'x');
    await service(root).stopAndWipe();
    assert.deepEqual(entries(path.join(root, 'var/lib/etcd')), []);
  });

  test('a reset wipe does not follow a link in var/lib out of the node', async () => {
    const {root, outside} = nodeRoot();
    fs.writeFileSync(path.join(outside, 'keep'), 'x');
    fs.symlinkSync(outside, path.join(root, 'var/lib/etcd'));
    await wipeEphemeral(root);
    assert.deepEqual(entries(outside), ['keep']);
    assert.deepEqual(entries(path.join(root, 'var')), ['lib', 'log']);
  });
});

describe('etcd calls always end', () => {
  test('a member that accepts TCP and never answers: each call fails within its deadline', async (t) => {
    const sockets = new Set();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise((resolve) => silent.listen(0, '127.70.0.1', resolve));
    t.after(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const {ca, cert, key} = await (async () => {
      const {generateEcdsaCA, issueEtcdCert} = await import('../dist/machinery/pki.js');
      const authority = await generateEcdsaCA({organization: 'etcd', ttlMs: 3600_000});
      const client = await issueEtcdCert(authority, {kind: 'client', commonName: 'talos', ttlMs: 3600_000});
      return {ca: authority.crt, cert: client.crt, key: client.key};
    })();
    const client = new EtcdClient(`127.70.0.1:${silent.address().port}`, {ca, cert, key});
    t.after(() => client.close());
    const started = Date.now();
    await assert.rejects(client.status({timeoutMs: 800}));
    assert.ok(Date.now() - started < 3000, `status ended after ${Date.now() - started} ms`);
    const again = Date.now();
    // The default deadline (5 s) applies when the caller gives none.
    await assert.rejects(client.memberList());
    assert.ok(Date.now() - again < 8000, `member list ended after ${Date.now() - again} ms`);
  });

  test('EtcdMemberList and EtcdRemoveMemberByID without a deadline give up when no member answers', async (t) => {
    const access = {
      machineType: () => 'controlplane',
      localClient: () => ({}),
      clusterClient: (signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('no etcd member answers on the control planes 127.70.0.1')), {once: true}),
        ),
      localMemberId: async () => 1n,
      stopAndWipe: async () => {},
    };
    const methods = new Map(etcdMethods(access, {findMemberMs: 300}));
    // AbortSignal.timeout keeps no process alive; osd's server does, this test's process must too.
    const alive = setInterval(() => {}, 1000);
    t.after(() => clearInterval(alive));
    for (const [name, request] of [['etcdMemberList', {queryLocal: false}], ['etcdRemoveMemberById', {memberId: 5n}]]) {
      const definition = MachineServiceService[name];
      const started = Date.now();
      await assert.rejects(
        methods.get(definition.path).handle(definition.requestSerialize(request), {caller: {roles: ['os:admin']}, signal: new AbortController().signal}),
        (error) => {
          assert.equal(error.code, status.UNKNOWN);
          assert.match(error.message, /no etcd member answers/);
          return true;
        },
      );
      assert.ok(Date.now() - started < 3000, `${name} ended after ${Date.now() - started} ms`);
    }
  });
});

describe('Reset\'s wipe: all or nothing, mounts left alone', () => {
  function withEtcdData(root) {
    fs.mkdirSync(path.join(root, 'var/lib/etcd/member/snap'), {recursive: true});
    fs.mkdirSync(path.join(root, 'var/lib/etcd/member/wal'), {recursive: true});
    fs.writeFileSync(path.join(root, 'var/lib/etcd/member/snap/db'), 'db');
    fs.mkdirSync(path.join(root, 'var/log'), {recursive: true});
    fs.writeFileSync(path.join(root, 'var/log/osd.log'), 'osd log');
    fs.writeFileSync(path.join(root, 'var/log/etcd.log'), 'node log');
  }

  test('an osd killed after var was moved aside: the next start finishes the wipe and keeps osd\'s log', async () => {
    const {root} = nodeRoot();
    withEtcdData(root);
    // Where a killed wipe stops: var moved aside, nothing else done yet.
    fs.renameSync(path.join(root, 'var'), path.join(root, WIPING_DIR));
    assert.deepEqual(await finishInterruptedWipe(root), []);
    assert.equal(fs.existsSync(path.join(root, WIPING_DIR)), false);
    assert.deepEqual(fs.readdirSync(path.join(root, 'var'), {recursive: true}).sort(), ['lib', 'log', 'log/osd.log']);
    assert.equal(fs.readFileSync(path.join(root, 'var/log/osd.log'), 'utf8'), 'osd log');
  });

  test('a mount point inside var (tmpfs and a bind mount): what is mounted there is not removed', async (t) => {
    const {root, outside} = nodeRoot();
    withEtcdData(root);
    const tmpfs = path.join(root, 'var/lib/kubelet-volume');
    fs.mkdirSync(tmpfs);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'osd-review-test', tmpfs]);
    fs.writeFileSync(path.join(tmpfs, 'data'), 'mounted');
    const bind = path.join(root, 'var/lib/bound');
    fs.mkdirSync(bind);
    fs.writeFileSync(path.join(outside, 'host-file'), 'host');
    await run('mount', ['--bind', outside, bind]);
    const mounted = [];
    t.after(async () => {
      for (const point of mounted) await run('umount', [point]).catch(() => {});
    });
    const skipped = await wipeEphemeral(root);
    // The mounts moved with var: unmount them where they are now.
    mounted.push(...skipped);
    assert.deepEqual(skipped.sort(), [path.join(root, WIPING_DIR, 'lib/bound'), path.join(root, WIPING_DIR, 'lib/kubelet-volume')]);
    assert.deepEqual(entries(outside), ['host-file']);
    assert.equal(fs.readFileSync(path.join(root, WIPING_DIR, 'lib/kubelet-volume/data'), 'utf8'), 'mounted');
    assert.deepEqual(fs.readdirSync(path.join(root, 'var'), {recursive: true}).sort(), ['lib', 'log', 'log/osd.log']);
  });

  test('var a mount point itself: emptied in place', async (t) => {
    const {root} = nodeRoot();
    const ephemeral = path.join(root, 'var');
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'osd-review-test', ephemeral]);
    t.after(() => run('umount', [ephemeral]));
    withEtcdData(root);
    assert.deepEqual(await wipeEphemeral(root), []);
    assert.deepEqual(fs.readdirSync(ephemeral, {recursive: true}).sort(), ['lib', 'log', 'log/osd.log']);
  });
});

describe('a real control plane (127.70.2.0/28): reboots leak nothing, recovery through the upload, kill -9 leaves no etcd', () => {
  const NAME = 'osd-review';
  const ADDRESS = '127.70.2.2';
  const user = makeHome('osctl-etcd-osd-review-');
  let osdPid;
  let member;

  const etcdChildren = () => {
    const children = fs.readFileSync(`/proc/${osdPid}/task/${osdPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return children.filter((pid) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'etcd');
  };
  // A zombie has ended (an orphan's may wait for a PID 1 that does not reap).
  const running = (pid) => {
    try {
      return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
      return false;
    }
  };
  const fdCount = () => fs.readdirSync(`/proc/${osdPid}/fd`).length;
  async function etcdState() {
    const client = machineClient(path.join(user.home, '.talos/config'), NAME, ADDRESS);
    try {
      return (await unary(client, 'serviceList', {})).messages[0].services.find((s) => s.id === 'etcd');
    } finally {
      client.close();
    }
  }
  const waitFor = (check, timeoutMs = 60_000) => eventually(check, timeoutMs, 250);
  const waitHealthy = () =>
    waitFor(async () => {
      const etcd = await etcdState();
      assert.equal(etcd?.state, 'Running');
      assert.equal(etcd.health.healthy, true);
    });

  before(async () => {
    await createCluster(user, ['--name', NAME, '--cidr', '127.70.2.0/28', '--controlplanes', '1', '--workers', '0', '--wait-timeout', '60s']);
    osdPid = clusterDescription(user.home, NAME).nodes[0].pid;
    [member] = await etcdEndpoints(user.env, NAME);
  });
  after(() => discardCluster(user, NAME));

  test('three reboots: one etcd child each time, osd\'s descriptors do not grow', async () => {
    await waitHealthy();
    const baseline = fdCount();
    let previous = etcdChildren();
    assert.equal(previous.length, 1);
    for (let round = 1; round <= 3; round++) {
      const r = await osctl(['-n', ADDRESS, 'reboot', '--wait', '--timeout', '60s'], {env: user.env});
      assert.equal(r.code, 0, r.stderr);
      await waitHealthy();
      const now = etcdChildren();
      assert.equal(now.length, 1, `round ${round}: etcd processes ${now}`);
      assert.notEqual(now[0], previous[0], 'a new etcd');
      assert.equal(running(previous[0]), false, 'the old etcd ended');
      previous = now;
    }
    assert.ok(fdCount() <= baseline + 2, `descriptors: ${baseline} before, ${fdCount()} after three reboots`);
  });

  test('reset, an upload through EtcdRecover, Bootstrap{recover_etcd}: the key is back, nothing partial left', async () => {
    assert.equal((await etcdctl(member, ['put', 'review-key', 'review-value'])).code, 0);
    const snapshotFile = path.join(user.home, 'db.snapshot');
    const saved = await etcdctl(member, ['snapshot', 'save', snapshotFile]);
    assert.equal(saved.code, 0, saved.stderr);
    const reset = await osctl(['-n', ADDRESS, 'reset', '--graceful=false', '--reboot', '--system-labels-to-wipe=EPHEMERAL'], {env: user.env});
    assert.equal(reset.code, 0, reset.stderr);
    await waitFor(async () => assert.equal((await etcdState())?.state, 'Preparing'));
    const client = machineClient(path.join(user.home, '.talos/config'), NAME, ADDRESS);
    try {
      await uploadSnapshot(client, fs.readFileSync(snapshotFile));
      const varLib = path.join(clusterDescription(user.home, NAME).nodes[0].stateDir, 'var/lib');
      assert.deepEqual(entries(varLib), ['etcd', 'etcd.snapshot']);
      await unary(client, 'bootstrap', {recoverEtcd: true, recoverSkipHashCheck: false});
    } finally {
      client.close();
    }
    await waitHealthy();
    const got = await etcdctl(member, ['get', 'review-key', '--print-value-only']);
    assert.equal(got.stdout.trim(), 'review-value');
  });

  test('kill -9 osd leaves etcd running; cluster destroy ends it', async () => {
    const [etcd] = etcdChildren();
    process.kill(osdPid, 'SIGKILL');
    await eventually(() => assert.equal(running(osdPid), false), 5000);
    assert.equal(running(etcd), true, 'etcd survives its supervisor');
    const destroyed = await osctl(['cluster', 'destroy', '--name', NAME], {env: user.env});
    assert.equal(destroyed.code, 0, destroyed.stderr);
    await eventually(() => assert.equal(running(etcd), false, `etcd ${etcd} still runs`), 5000);
  });
});
