// The etcd methods' decisions on in-process fakes of etcd's answers: leaving (retries, "member not
// found", waiting for the member id), forfeiting leadership, Talos's error wrapping, the snapshot
// stream's chunks and failures, and the CLI's printers. Real etcd is in etcd-api.test.js.
import assert from 'node:assert/strict';
import {Readable} from 'node:stream';
import {describe, it} from 'node:test';
import {status} from '@grpc/grpc-js';
import {leaveCluster} from '../dist/agent/etcd/membership.js';
import {etcdMethods, storageVersionOf} from '../dist/agent/server/etcd-methods.js';
import {MachineServiceService} from '../dist/machinery/api/machine/machine.js';
import {inUsePercent, parseMemberId, statusRow, memberRow} from '../dist/cli/output/etcd-view.js';
import {renderTable} from '../dist/cli/output/table.js';

const FAST = {memberIdWaitMs: 300, removeRetryForMs: 400, removeRetryEveryMs: 20};
const etcdError = (details, code = 2) => Object.assign(new Error(`${code} X: ${details}`), {code, details});

function member(id, name, {learner = false, clientURLs = [`https://${name}:2379`]} = {}) {
  return {ID: id, name, peerURLs: [`https://${name}:2380`], clientURLs, isLearner: learner};
}

/** An EtcdAccess over fake clients; `removals` records each MemberRemove attempt. */
function fakeAccess({type = 'controlplane', memberId = 42n, remove = async () => ({}), cluster = {}, local = {}, clusterFails = false, wipe = async () => {}} = {}) {
  const calls = {removals: [], wiped: 0, moved: []};
  const clusterClient = {
    memberRemove: async (id, options) => {
      calls.removals.push({id, requireLeader: options.requireLeader});
      return remove(calls.removals.length);
    },
    ...cluster,
  };
  const localClient = {moveLeader: async (id) => calls.moved.push(id), ...local};
  const access = {
    machineType: () => type,
    localClient: () => localClient,
    clusterClient: async () => {
      if (clusterFails) throw new Error('no etcd member answers');
      return clusterClient;
    },
    localMemberId: (signal) =>
      memberId === null
        ? new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), {once: true}))
        : Promise.resolve(memberId),
    stopAndWipe: async () => {
      calls.wiped++;
      await wipe();
    },
  };
  return {access, calls};
}

/** Calls a unary etcd method as the server would; resolves with the decoded answer. */
async function call(access, name, request = {}, signal = new AbortController().signal) {
  const definition = MachineServiceService[name];
  const method = new Map(etcdMethods(access, {leaveTimings: FAST})).get(definition.path);
  const answer = await method.handle(definition.requestSerialize(request), {caller: {roles: ['os:admin']}, signal});
  return definition.responseDeserialize(answer);
}

describe('leaveCluster (Talos\'s LeaveCluster)', () => {
  it('retries while etcd is unhealthy, then stops etcd and wipes its data', async () => {
    const {access, calls} = fakeAccess({remove: async (attempt) => {
      if (attempt < 3) throw etcdError('etcdserver: unhealthy cluster');
      return {};
    }});
    await leaveCluster(access, new AbortController().signal, FAST);
    assert.deepEqual(calls.removals, Array(3).fill({id: 42n, requireLeader: true}));
    assert.equal(calls.wiped, 1);
  });

  it('a member already gone counts as removed', async () => {
    const {access, calls} = fakeAccess({remove: async () => {
      throw etcdError('etcdserver: member not found', 5);
    }});
    await leaveCluster(access, new AbortController().signal, FAST);
    assert.equal(calls.wiped, 1);
  });

  it('an unreachable member is retried too (another control plane may answer next)', async () => {
    const {access, calls} = fakeAccess({remove: async (attempt) => {
      if (attempt === 1) throw etcdError('No connection established', status.UNAVAILABLE);
      return {};
    }});
    await leaveCluster(access, new AbortController().signal, FAST);
    assert.equal(calls.removals.length, 2);
  });

  it('other failures end it at once, with the member id in decimal; nothing is wiped', async () => {
    const {access, calls} = fakeAccess({remove: async () => {
      throw etcdError('etcdserver: permission denied');
    }});
    await assert.rejects(leaveCluster(access, new AbortController().signal, FAST), {message: 'failed to leave cluster: failed to remove member 42: etcdserver: permission denied'});
    assert.equal(calls.removals.length, 1);
    assert.equal(calls.wiped, 0);
  });

  it('unhealthy past the retry window: the last answer is the error', async () => {
    const started = Date.now();
    const {access, calls} = fakeAccess({remove: async () => {
      throw etcdError('etcdserver: unhealthy cluster');
    }});
    await assert.rejects(leaveCluster(access, new AbortController().signal, FAST), {message: 'failed to leave cluster: failed to remove member 42: etcdserver: unhealthy cluster'});
    assert.ok(calls.removals.length > 3);
    assert.ok(Date.now() - started < 2000);
    assert.equal(calls.wiped, 0);
  });

  it('no member id within the wait: Talos\'s text', async () => {
    const started = Date.now();
    const {access} = fakeAccess({memberId: null}); // never published
    await assert.rejects(leaveCluster(access, new AbortController().signal, FAST), {
      message: 'failed to leave cluster: failed to get local etcd member ID: context deadline exceeded',
    });
    assert.ok(Date.now() - started >= 250);
  });

  it('no etcd client: failed to create etcd client', async () => {
    const {access} = fakeAccess({clusterFails: true});
    await assert.rejects(leaveCluster(access, new AbortController().signal, FAST), {message: 'failed to create etcd client: no etcd member answers'});
  });

  it('the caller going away ends the retries at once', async () => {
    const {access, calls} = fakeAccess({remove: async () => {
      throw etcdError('etcdserver: unhealthy cluster');
    }});
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    const started = Date.now();
    await assert.rejects(leaveCluster(access, abort.signal, {...FAST, removeRetryForMs: 60_000, removeRetryEveryMs: 10_000}));
    assert.ok(Date.now() - started < 1000);
    assert.equal(calls.wiped, 0);
  });

  it('a failing wipe is reported', async () => {
    const {access} = fakeAccess({wipe: async () => {
      throw new Error('failed to stop etcd: timeout');
    }});
    await assert.rejects(leaveCluster(access, new AbortController().signal, FAST), {message: 'failed to leave cluster: failed to stop etcd: timeout'});
  });

  it('EtcdLeaveCluster reports it as a plain error (code Unknown)', async () => {
    const {access} = fakeAccess({remove: async () => {
      throw etcdError('etcdserver: permission denied');
    }});
    await assert.rejects(call(access, 'etcdLeaveCluster'), {code: status.UNKNOWN, details: 'failed to leave cluster: failed to remove member 42: etcdserver: permission denied'});
  });
});

describe('EtcdForfeitLeadership (Talos\'s ForfeitLeadership)', () => {
  const list = (...members) => ({memberList: async () => ({members})});

  it('one member: an error', async () => {
    const {access} = fakeAccess({cluster: list(member(42n, 'a')), local: {status: async () => ({leader: 42n})}});
    await assert.rejects(call(access, 'etcdForfeitLeadership'), {code: status.UNKNOWN, details: 'failed to forfeit leadership: cannot forfeit leadership, only one member'});
  });

  it('not the leader: nothing moves, member ""', async () => {
    const {access, calls} = fakeAccess({cluster: list(member(7n, 'b'), member(42n, 'a')), local: {status: async () => ({leader: 7n})}});
    assert.deepEqual((await call(access, 'etcdForfeitLeadership')).messages.map((m) => m.member), ['']);
    assert.deepEqual(calls.moved, []);
  });

  it('the leader: to the first other member in list order, learners included', async () => {
    const {access, calls} = fakeAccess({cluster: list(member(42n, 'a'), member(9n, 'learner', {learner: true}), member(7n, 'b')), local: {status: async () => ({leader: 42n})}});
    assert.deepEqual((await call(access, 'etcdForfeitLeadership')).messages.map((m) => m.member), ['learner']);
    assert.deepEqual(calls.moved, [9n]);
  });

  it('in an election (no leader): not the leader, member ""', async () => {
    const {access, calls} = fakeAccess({cluster: list(member(42n, 'a'), member(7n, 'b')), local: {status: async () => ({leader: 0n})}});
    assert.deepEqual((await call(access, 'etcdForfeitLeadership')).messages.map((m) => m.member), ['']);
    assert.deepEqual(calls.moved, []);
  });

  it('leadership gone meanwhile (not leader): member ""', async () => {
    const {access} = fakeAccess({
      cluster: list(member(42n, 'a'), member(7n, 'b')),
      local: {status: async () => ({leader: 42n}), moveLeader: async () => {
        throw etcdError('etcdserver: not leader');
      }},
    });
    assert.deepEqual((await call(access, 'etcdForfeitLeadership')).messages.map((m) => m.member), ['']);
  });

  it('this member missing from the list', async () => {
    const {access} = fakeAccess({cluster: list(member(1n, 'x'), member(2n, 'y')), local: {status: async () => ({leader: 1n})}});
    await assert.rejects(call(access, 'etcdForfeitLeadership'), {details: 'failed to forfeit leadership: failed to find "000000000000002a" in list of etcd members'});
  });
});

describe('Talos\'s texts around etcd\'s answers', () => {
  it('EtcdRemoveMemberByID: NotFound with the decimal id; other failures wrapped twice', async () => {
    const missing = fakeAccess({remove: async () => {
      throw etcdError('etcdserver: member not found', 5);
    }});
    await assert.rejects(call(missing.access, 'etcdRemoveMemberById', {memberId: 0xffffffffffffffffn}), {
      code: status.NOT_FOUND,
      details: 'failed to remove member 18446744073709551615: etcdserver: member not found',
    });
    const unhealthy = fakeAccess({remove: async () => {
      throw etcdError('etcdserver: unhealthy cluster', 14);
    }});
    await assert.rejects(call(unhealthy.access, 'etcdRemoveMemberById', {memberId: 7n}), {
      code: status.UNKNOWN,
      details: 'failed to remove member: failed to remove member 7: etcdserver: unhealthy cluster',
    });
    const noClient = fakeAccess({clusterFails: true});
    await assert.rejects(call(noClient.access, 'etcdRemoveMemberById', {memberId: 7n}), {details: 'failed to create etcd client: no etcd member answers'});
  });

  it('EtcdStatus: storage version from the server version before 3.6; errors wrapped', async () => {
    assert.equal(storageVersionOf('3.4.23'), '3.4.0');
    assert.equal(storageVersionOf('3.5.0-alpha.0'), '3.5.0');
    assert.equal(storageVersionOf('not a version'), 'unknown');
    assert.equal(storageVersionOf('3.4'), 'unknown');
    const reported = {header: {memberId: 5n}, version: '3.6.1', dbSize: 10n, dbSizeInUse: 5n, leader: 5n, raftIndex: 1n, raftTerm: 2n, raftAppliedIndex: 1n, errors: ['e'], isLearner: false, storageVersion: '3.6.0'};
    const {access} = fakeAccess({local: {status: async () => reported}});
    const answer = await call(access, 'etcdStatus');
    assert.equal(answer.messages[0].memberStatus.storageVersion, '3.6.0');
    assert.equal(answer.messages[0].memberStatus.memberId, 5n);
    const failing = fakeAccess({local: {status: async () => {
      throw etcdError('context deadline exceeded', 4);
    }}});
    await assert.rejects(call(failing.access, 'etcdStatus'), {code: status.UNKNOWN, details: 'failed to query etcd status: context deadline exceeded'});
  });

  it('alarms, defragment: Talos\'s prefixes', async () => {
    const down = async () => {
      throw etcdError('connection refused', 14);
    };
    const {access} = fakeAccess({local: {alarm: down, defragment: down}});
    await assert.rejects(call(access, 'etcdAlarmList'), {details: 'failed to list etcd alarms: connection refused'});
    await assert.rejects(call(access, 'etcdAlarmDisarm'), {details: 'failed to disarm etcd alarm: connection refused'});
    await assert.rejects(call(access, 'etcdDefragment'), {details: 'failed to defragment etcd: connection refused'});
  });

  it('the control-plane check comes first, with each method\'s name', async () => {
    const {access, calls} = fakeAccess({type: 'worker'});
    await assert.rejects(call(access, 'etcdLeaveCluster'), {code: status.UNIMPLEMENTED, details: 'etcd leave is only available on control plane nodes'});
    assert.equal(calls.removals.length, 0);
    const unset = fakeAccess({type: ''}); // no machine type in the config
    await assert.rejects(call(unset.access, 'etcdMemberList'), {code: status.UNIMPLEMENTED, details: 'machine type is not set, cannot use member list API'});
  });
});

describe('EtcdSnapshot stream', () => {
  /** The snapshot method over a fake member stream of `blobs` (then `error`, if any); resolves with what was sent. */
  async function snapshot(blobs, {error, chunkBytes} = {}) {
    let cancelled = false;
    const local = {
      snapshot: () =>
        Object.assign(
          Readable.from((async function* () {
            for (const blob of blobs) yield {blob};
            if (error) throw error;
          })()),
          {cancel: () => (cancelled = true)},
        ),
    };
    const {access} = fakeAccess({local});
    const definition = MachineServiceService.etcdSnapshot;
    const method = new Map(etcdMethods(access, {snapshotChunkBytes: chunkBytes})).get(definition.path);
    const sent = [];
    const stream = {send: async (bytes) => sent.push(definition.responseDeserialize(bytes).bytes), sendLazily() {}, describeOverrun() {}};
    const outcome = await method.handle(definition.requestSerialize({}), {caller: {roles: []}, signal: new AbortController().signal}, stream).then(() => undefined, (e) => e);
    return {sent, outcome, cancelled};
  }

  it('joins etcd\'s 32 KiB blobs up to the chunk size; the bytes and the trailer pass unchanged', async () => {
    const blobs = Array.from({length: 70}, (_, i) => Buffer.alloc(32 * 1024, i));
    blobs.push(Buffer.alloc(32, 0xee)); // the sha256 trailer, etcd's last blob
    const {sent, outcome, cancelled} = await snapshot(blobs, {chunkBytes: 256 * 1024});
    assert.equal(outcome, undefined);
    assert.deepEqual(Buffer.concat(sent.map((b) => Buffer.from(b))), Buffer.concat(blobs));
    assert.ok(sent.every((b) => b.length <= 256 * 1024));
    assert.equal(sent.length, Math.ceil((70 * 32 * 1024 + 32) / (256 * 1024)));
    assert.equal(cancelled, true, 'the member stream is released');
  });

  it('etcd failing mid-stream fails the call (never a short stream that ends well)', async () => {
    const {sent, outcome} = await snapshot([Buffer.alloc(1000)], {error: etcdError('Connection dropped', 14), chunkBytes: 500});
    assert.equal(Buffer.concat(sent.map((b) => Buffer.from(b))).length, 1000, 'what etcd sent before failing went out');
    assert.deepEqual({code: outcome.code, details: outcome.details}, {code: status.UNKNOWN, details: 'failed reading etcd snapshot: Connection dropped'});
  });
});

describe('EtcdSnapshot stall', () => {
  it('etcd going quiet mid-stream fails the call after the stall time, and the member stream is cancelled', async () => {
    let cancelled = false;
    const quiet = new Readable({objectMode: true, read() {}});
    quiet.push({blob: Buffer.alloc(100)}); // then nothing, never an end
    const local = {
      snapshot: () =>
        Object.assign(quiet, {
          cancel: () => {
            cancelled = true;
            quiet.destroy(Object.assign(new Error('Cancelled on client'), {code: 1, details: 'Cancelled on client'}));
          },
        }),
    };
    const {access} = fakeAccess({local});
    const definition = MachineServiceService.etcdSnapshot;
    const method = new Map(etcdMethods(access, {snapshotStallMs: 200})).get(definition.path);
    const stream = {send: async () => {}, sendLazily() {}, describeOverrun() {}};
    const started = Date.now();
    const outcome = await method.handle(definition.requestSerialize({}), {caller: {roles: []}, signal: new AbortController().signal}, stream).then(() => undefined, (e) => e);
    assert.deepEqual({code: outcome?.code, details: outcome?.details}, {code: status.UNKNOWN, details: 'failed reading etcd snapshot: etcd sent nothing for 0.2s'});
    assert.ok(Date.now() - started < 5000);
    assert.equal(cancelled, true);
  });
});

describe('etcd printers', () => {
  it('IN USE percentage as Go\'s %.2f, 0.00 for an empty database', () => {
    assert.equal(inUsePercent(0n, 0n), '0.00');
    assert.equal(inUsePercent(8n, 1n), '12.50');
    assert.equal(inUsePercent(3n, 1n), '33.33');
    assert.equal(inUsePercent(20480n, 20480n), '100.00');
  });

  it('status and member rows', () => {
    const row = statusRow({
      node: 'n', memberId: '0000000000000001', leader: '0000000000000002', dbSize: 25_000_000n, dbSizeInUse: 12_500_000n,
      raftIndex: 10n, raftTerm: 2n, raftAppliedIndex: 10n, isLearner: false, protocolVersion: '3.4.23', storageVersion: '3.4.0', errors: ['a', 'b'],
    });
    assert.deepEqual(row, ['n', '0000000000000001', '25 MB', '12 MB (50.00%)', '0000000000000002', '10', '2', '10', 'false', '3.4.23', '3.4.0', 'a, b']);
    const member = memberRow({node: 'n', id: '00000000000000ff', hostname: 'h', peerUrls: ['https://a:2380', 'https://b:2380'], clientUrls: [], isLearner: true});
    assert.equal(renderTable(['NODE', 'ID', 'HOSTNAME', 'PEER URLS', 'CLIENT URLS', 'LEARNER'], [member]),
      'NODE   ID                 HOSTNAME   PEER URLS                       CLIENT URLS   LEARNER\n' +
      'n      00000000000000ff   h          https://a:2380,https://b:2380                 true\n');
  });

  it('member ids as strconv.ParseUint(s, 16, 64) reads them', () => {
    assert.equal(parseMemberId('7d3ccc0824541630', '"x"'), 0x7d3ccc0824541630n);
    assert.equal(parseMemberId('ABCdef', '"x"'), 0xabcdefn);
    assert.equal(parseMemberId('ffffffffffffffff', '"x"'), 0xffffffffffffffffn);
    for (const bad of ['', '0x10', '-1', '+1', '1_0', 'g', ' 1']) {
      assert.throws(() => parseMemberId(bad, `"${bad}"`), {message: `error parsing etcd member id: strconv.ParseUint: parsing "${bad}": invalid syntax`}, bad);
    }
    assert.throws(() => parseMemberId('10000000000000000', '"q"'), {message: 'error parsing etcd member id: strconv.ParseUint: parsing "q": value out of range'});
  });
});
