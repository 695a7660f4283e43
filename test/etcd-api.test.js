// The etcd maintenance methods and their CLI against three real etcd 3.4 members over mutual TLS
// (127.64.0.1–3), each behind an in-process AgentServer, plus a worker (127.64.0.4) and a node
// without a machine type (127.64.0.5). The CLI is the built bin/run.js; etcdctl is the
// independent witness. The lead extends this file with cluster e2e once the etcd service lands.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {clientCredentials, collect, eventually, MachineClient, metadataOf, unary} from './helpers/agents.js';
import {makeHome, osctl} from './helpers/cli.js';
import {etcdctl, startAgentServers, startEtcdCluster, TestEtcdAccess} from './helpers/etcd-api.js';
import {AlarmRequest_AlarmAction, AlarmType} from '../dist/machinery/api/etcdserverpb/rpc.js';

const CP = ['127.64.0.1', '127.64.0.2', '127.64.0.3'];
const WORKER = '127.64.0.4';
const UNTYPED = '127.64.0.5';
const NAMES = ['cp-1', 'cp-2', 'cp-3'];

const hex = (id) => id.toString(16).padStart(16, '0');

/** Column start offsets of a tabwriter line: where each cell after a 3+ space gap begins. */
function columnStarts(line) {
  const starts = [0];
  for (const match of line.matchAll(/ {3,}(?=\S)/g)) starts.push(match.index + match[0].length);
  return starts;
}

describe('etcd API on three real etcd members (TLS), through osd and the CLI', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-api-'));
  const user = makeHome('etcd-api-home-');
  let cluster;
  let agents;
  let env;
  let readerEnv;
  const access = new Map();
  const cli = (args, options = {}) => osctl(['--timeout', '20s', ...args], {env, ...options});
  /** hex id → name, from etcdctl's own member list (`simple`: id, status, name, peer, client, learner). */
  const etcdctlMembers = (member = cluster.members[0]) =>
    etcdctl(cluster.pki, member, ['member', 'list'])
      .trim()
      .split('\n')
      .map((line) => line.split(', '))
      .map(([id, state, name, peers, clients, learner]) => ({id: id.padStart(16, '0'), state, name, peers, clients, learner}));

  before(async () => {
    cluster = await startEtcdCluster(root, NAMES.map((name, i) => [name, CP[i]]));
    for (const member of cluster.members) access.set(member.address, new TestEtcdAccess(member, cluster.members));
    access.set(WORKER, new TestEtcdAccess(cluster.members[0], cluster.members, 'worker'));
    access.set(UNTYPED, new TestEtcdAccess(cluster.members[0], cluster.members, ''));
    agents = await startAgentServers(root, [...CP, WORKER, UNTYPED], (address) => access.get(address));
    env = {...user.env, TALOSCONFIG: agents.talosconfig};
    readerEnv = {...user.env, TALOSCONFIG: agents.readerTalosconfig};
  });

  after(async () => {
    await agents?.stop();
    await cluster?.stop();
    fs.rmSync(root, {recursive: true, force: true});
    fs.rmSync(user.home, {recursive: true, force: true});
  });

  it('etcd members: talosctl\'s table, one block of rows per node, ids as etcdctl shows them', async () => {
    const r = await cli(['-n', CP.join(','), 'etcd', 'members']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(lines[0].split(/ {3,}/), ['NODE', 'ID', 'HOSTNAME', 'PEER URLS', 'CLIENT URLS', 'LEARNER']);
    assert.equal(lines.length, 1 + 3 * 3);
    const expected = etcdctlMembers();
    for (const line of lines.slice(1)) assert.deepEqual(columnStarts(line), columnStarts(lines[0]), `aligned: ${line}`);
    for (const node of CP) {
      const rows = lines.slice(1).map((line) => line.split(/ {3,}/)).filter((cells) => cells[0] === node);
      assert.deepEqual(
        rows.map((row) => row.join('|')).sort(),
        expected.map((m) => [node, m.id, m.name, m.peers, m.clients, m.learner].join('|')).sort(),
      );
    }
  });

  it('etcd members -o json: records with hex ids, learner flags and URL lists', async () => {
    const r = await cli(['-n', CP[1], 'etcd', 'members', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const records = r.stdout.trim().split(/\n(?=\{)/).map((text) => JSON.parse(text));
    const expected = etcdctlMembers();
    assert.deepEqual(
      records.map((m) => [m.node, m.id, m.hostname, m.peerUrls.join(','), m.clientUrls.join(','), m.isLearner]).sort(),
      expected.map((m) => [CP[1], m.id, m.name, m.peers, m.clients, m.learner === 'true']).sort(),
    );
  });

  it('etcd status: one row per node; member, leader, sizes and versions as etcdctl reports them', async () => {
    const r = await cli(['-n', CP.join(','), 'etcd', 'status']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.replace(/\n$/, '').split('\n');
    for (const line of lines.slice(1)) assert.deepEqual(columnStarts(line).slice(0, 11), columnStarts(lines[0]).slice(0, 11), `aligned: ${line}`);
    assert.deepEqual(lines[0].split(/ {3,}/), ['NODE', 'MEMBER', 'DB SIZE', 'IN USE', 'LEADER', 'RAFT INDEX', 'RAFT TERM', 'RAFT APPLIED INDEX', 'LEARNER', 'PROTOCOL', 'STORAGE', 'ERRORS']);
    assert.equal(lines.length, 4);
    // etcdctl's simple form: endpoint, id, version, db size (go-humanize), leader?, learner?, term, index, applied index, errors.
    const statuses = etcdctl(cluster.pki, cluster.members[0], ['endpoint', 'status', `--endpoints=${CP.map((a) => `https://${a}:2379`).join(',')}`])
      .trim()
      .split('\n')
      .map((line) => line.split(', '));
    const leaderId = statuses.find((s) => s[4] === 'true')[1].padStart(16, '0');
    // Rows come as the nodes answer (talosctl's order too): find each node's.
    for (const node of CP) {
      const row = lines.slice(1).map((line) => line.split(/ {3,}/)).find((cells) => cells[0] === node);
      const etcd = statuses.find((s) => s[0] === `https://${node}:2379`);
      assert.equal(row[0], node);
      assert.equal(row[1], etcd[1].padStart(16, '0'));
      assert.equal(row[2], etcd[3]);
      assert.match(row[3], /^\d+(\.\d)? [kM]?B \(\d+\.\d\d%\)$/);
      assert.equal(row[4], leaderId);
      assert.match(row[5], /^\d+$/);
      assert.equal(row[6], etcd[6]);
      assert.equal(row[8], 'false');
      assert.equal(row[9], etcd[2]);
      assert.equal(row[10], '3.4.0'); // etcd 3.4 reports none: Talos derives major.minor.0
      assert.deepEqual(row.slice(11), [''], 'no errors: the last cell is empty (after its padding, as tabwriter leaves it)');
    }
  });

  it('etcd status -o yaml: sizes in bytes, ids in hex', async () => {
    const r = await cli(['-n', CP[0], 'etcd', 'status', '-o', 'yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^node: 127\.64\.0\.1$/m);
    assert.match(r.stdout, /^memberId: "?[0-9a-f]{16}"?$/m);
    assert.match(r.stdout, /^dbSize: \d+$/m);
    assert.match(r.stdout, /^storageVersion: 3\.4\.0$/m);
  });

  it('a worker and a node without a machine type refuse with Talos\'s texts; a partial failure exits 3', async () => {
    const worker = await cli(['-n', WORKER, 'etcd', 'status']);
    assert.equal(worker.code, 1);
    assert.equal(worker.stdout.trim().split(/ {3,}/)[0], 'NODE', 'the header is printed even when every node fails');
    assert.equal(worker.stdout.trim().split('\n').length, 1);
    assert.equal(worker.stderr, `error from node ${WORKER}: rpc error: code = Unimplemented desc = etcd status is only available on control plane nodes\n`);

    const untyped = await cli(['-n', UNTYPED, 'etcd', 'members']);
    assert.equal(untyped.code, 1);
    assert.equal(untyped.stderr, `error from node ${UNTYPED}: rpc error: code = Unimplemented desc = machine type is not set, cannot use member list API\n`);

    const mixed = await cli(['-n', `${CP[0]},${WORKER}`, 'etcd', 'members']);
    assert.equal(mixed.code, 3);
    assert.equal(mixed.stdout.trim().split('\n').length, 4);
    assert.match(mixed.stderr, /^error from node 127\.64\.0\.4: rpc error: code = Unimplemented desc = member list is only available on control plane nodes\n$/);

    // Each method names itself in the check (talos-behaviour.md (b) item 1).
    const client = new MachineClient(`${CP[0]}:${agents.port}`, clientCredentials(agents.ca, agents.admin));
    try {
      const calls = [
        ['etcdLeaveCluster', {}, 'etcd leave'],
        ['etcdRemoveMemberById', {memberId: 1n}, 'etcd remove member'],
        ['etcdForfeitLeadership', {}, 'etcd forfeit leadership'],
        ['etcdAlarmList', {}, 'etcd alarm list'],
        ['etcdAlarmDisarm', {}, 'etcd alarm list'], // Talos's own check text for disarm
        ['etcdDefragment', {}, 'etcd defragment'],
      ];
      for (const [method, request, api] of calls) {
        await assert.rejects(unary(client, method, request, {node: WORKER}), {code: 12, details: `${api} is only available on control plane nodes`}, method);
      }
      await assert.rejects(collect(client.etcdSnapshot({}, metadataOf({node: WORKER}))), {code: 12, details: 'etcd snapshot is only available on control plane nodes'});
    } finally {
      client.close();
    }
  });

  it('etcd alarm list|disarm: nothing without alarms; the cleared alarms as the list prints them', async () => {
    const none = await cli(['-n', CP.join(','), 'etcd', 'alarm', 'list']);
    assert.deepEqual([none.code, none.stdout, none.stderr], [0, '', '']);
    const nothingCleared = await cli(['-n', CP[0], 'etcd', 'alarm', 'disarm']);
    assert.deepEqual([nothingCleared.code, nothingCleared.stdout, nothingCleared.stderr], [0, '', '']);

    // Raise NOSPACE for member cp-2 (what etcd does itself when the quota is reached).
    const target = cluster.members[1];
    const targetId = (await target.client.status()).header.memberId;
    await target.client.alarm({action: AlarmRequest_AlarmAction.ACTIVATE, memberID: targetId, alarm: AlarmType.NOSPACE});
    assert.match(etcdctl(cluster.pki, target, ['alarm', 'list']), /alarm:NOSPACE/);

    const listed = await cli(['-n', `${CP[0]},${CP[2]}`, 'etcd', 'alarm', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split('\n').map((line) => line.split(/ {3,}/));
    assert.deepEqual(lines, [['NODE', 'MEMBER', 'ALARM'], [CP[0], hex(targetId), 'NOSPACE'], [CP[2], hex(targetId), 'NOSPACE']]);

    const json = await cli(['-n', CP[0], 'etcd', 'alarm', 'list', '-o', 'json']);
    assert.deepEqual(JSON.parse(json.stdout), {alarm: 'NOSPACE', memberId: hex(targetId), node: CP[0]});

    const disarmed = await cli(['-n', CP[0], 'etcd', 'alarm', 'disarm']);
    assert.equal(disarmed.code, 0, disarmed.stderr);
    assert.deepEqual(disarmed.stdout.trimEnd().split('\n').map((line) => line.split(/ {3,}/)), [['NODE', 'MEMBER', 'ALARM'], [CP[0], hex(targetId), 'NOSPACE']]);
    assert.equal(etcdctl(cluster.pki, target, ['alarm', 'list']).trim(), '');
    const after = await cli(['-n', CP.join(','), 'etcd', 'alarm', 'list']);
    assert.deepEqual([after.code, after.stdout], [0, '']);
  });

  it('roles: os:reader may list members, not disarm alarms or defragment', async () => {
    const members = await osctl(['-n', CP[0], 'etcd', 'members'], {env: readerEnv});
    assert.equal(members.code, 0, members.stderr);
    const disarm = await osctl(['-n', CP[0], 'etcd', 'alarm', 'disarm'], {env: readerEnv});
    assert.equal(disarm.code, 1);
    assert.match(disarm.stderr, /refused the call: not authorized/);
  });

  it('etcd remove-member: hex ids only; an unknown member is NotFound with its decimal id', async () => {
    const bad = await cli(['-n', CP[0], 'etcd', 'remove-member', 'cp-2']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: error parsing member ID: error parsing etcd member id: strconv\.ParseUint: parsing "cp-2": invalid syntax\n/);
    const big = await cli(['-n', CP[0], 'etcd', 'remove-member', '10000000000000000']);
    assert.match(big.stderr, /parsing "10000000000000000": value out of range/);

    const unknown = await cli(['-n', CP[0], 'etcd', 'remove-member', 'ABCDEF']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stdout, '');
    assert.equal(unknown.stderr, `error from node ${CP[0]}: rpc error: code = NotFound desc = failed to remove member ${0xabcdef}: etcdserver: member not found\n`);
    assert.equal(etcdctlMembers().length, 3, 'nothing was removed');
  });

  it('etcd defrag: exactly one node; the member is defragmented', async () => {
    const two = await cli(['-n', `${CP[0]},${CP[1]}`, 'etcd', 'defrag']);
    assert.equal(two.code, 1);
    assert.equal(two.stderr, 'error: command "etcd defrag" requires exactly one node (got 2)\n');
    const leave = await cli(['-n', `${CP[0]},${CP[1]}`, 'etcd', 'leave']);
    assert.equal(leave.stderr, 'error: command "etcd leave" requires exactly one node (got 2)\n');

    // Fill and delete, so there is space to release.
    const value = 'x'.repeat(100_000);
    for (let i = 0; i < 40; i++) etcdctl(cluster.pki, cluster.members[0], ['put', `/defrag/${i}`, value]);
    etcdctl(cluster.pki, cluster.members[0], ['del', '--prefix', '/defrag/']);
    const revision = JSON.parse(etcdctl(cluster.pki, cluster.members[0], ['endpoint', 'status', '-w', 'json']))[0].Status.header.revision;
    etcdctl(cluster.pki, cluster.members[0], ['compact', String(revision), '--physical']);
    const before = JSON.parse(etcdctl(cluster.pki, cluster.members[0], ['endpoint', 'status', '-w', 'json']))[0].Status.dbSize;
    const r = await cli(['-n', CP[0], 'etcd', 'defrag']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
    const afterSize = JSON.parse(etcdctl(cluster.pki, cluster.members[0], ['endpoint', 'status', '-w', 'json']))[0].Status.dbSize;
    assert.ok(afterSize < before / 2, `defragmented: ${before} → ${afterSize} bytes`);
  });

  it('EtcdSnapshot: the member\'s database with etcd\'s sha256 trailer, which etcdctl reads; a paused reader is waited for', async () => {
    // ~6 MB of data so the stream spans many messages.
    const value = 'v'.repeat(60_000);
    for (let i = 0; i < 100; i++) etcdctl(cluster.pki, cluster.members[0], ['put', `/snap/${i}`, value]);
    const client = new MachineClient(`${CP[0]}:${agents.port}`, clientCredentials(agents.ca, agents.admin));
    try {
      const call = client.etcdSnapshot({}, metadataOf({node: CP[1]}));
      const chunks = [];
      let paused = false;
      call.on('data', (data) => {
        chunks.push(Buffer.from(data.bytes));
        // Stop reading after the first message for longer than osd's stream queue would last unread.
        if (!paused) {
          paused = true;
          call.pause();
          setTimeout(() => call.resume(), 1500);
        }
      });
      await new Promise((resolve, reject) => {
        call.on('end', resolve);
        call.on('error', reject);
      });
      const file = Buffer.concat(chunks);
      assert.equal(file.length % 512, 32, `size ${file.length}: the sha256 trailer is there`);
      assert.ok(file.length > 6_000_000);
      const body = file.subarray(0, file.length - 32);
      assert.deepEqual(createHash('sha256').update(body).digest(), file.subarray(file.length - 32));
      assert.ok(chunks.every((chunk) => chunk.length <= 1 << 20), 'no message larger than 1 MiB');
      const saved = path.join(root, 'osd.snapshot');
      fs.writeFileSync(saved, file);
      const status = JSON.parse(etcdctl(cluster.pki, cluster.members[1], ['snapshot', 'status', saved, '-w', 'json']));
      const revision = JSON.parse(etcdctl(cluster.pki, cluster.members[1], ['endpoint', 'status', '-w', 'json']))[0].Status.header.revision;
      assert.equal(status.revision, revision);
      assert.ok(status.totalKey > 100);
    } finally {
      client.close();
    }
  });

  it('etcd forfeit-leadership: the leader hands over to the first other member in list order; the others do nothing', async () => {
    const leaderId = (await cluster.members[0].client.status()).leader;
    const members = (await cluster.members[0].client.memberList()).members;
    const leader = members.find((m) => m.ID === leaderId);
    const successor = members.find((m) => m.ID !== leaderId);
    const client = new MachineClient(`${CP[0]}:${agents.port}`, clientCredentials(agents.ca, agents.admin));
    try {
      const follower = cluster.members.find((m) => m.name !== leader.name);
      const nothing = await unary(client, 'etcdForfeitLeadership', {}, {node: follower.address});
      assert.deepEqual(nothing.messages.map((m) => m.member), ['']);
    } finally {
      client.close();
    }
    const r = await cli(['-n', cluster.members.find((m) => m.name === leader.name).address, 'etcd', 'forfeit-leadership']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
    await eventually(async () => assert.equal((await cluster.members[0].client.status()).leader, successor.ID), 10_000);

    // On every control plane at once (as a runbook does): the others neither fail nor forfeit in turn.
    const all = await cli(['-n', CP.join(','), 'etcd', 'forfeit-leadership']);
    assert.deepEqual([all.code, all.stdout, all.stderr], [0, '', '']);
    await eventually(async () => assert.notEqual((await cluster.members[0].client.status()).leader, successor.ID), 10_000);
  });

  it('etcd leave: the node removes its member, stops etcd and empties its data dir; the others go on', async () => {
    const leaving = cluster.members[2];
    const id = (await leaving.client.status()).header.memberId;
    const r = await cli(['-n', leaving.address, 'etcd', 'leave']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
    assert.equal(access.get(leaving.address).wiped, true);
    assert.deepEqual(fs.readdirSync(leaving.dataDir), [], 'the data dir is kept, emptied');
    assert.ok(fs.statSync(leaving.dataDir).isDirectory());
    const remaining = etcdctlMembers();
    assert.deepEqual(remaining.map((m) => m.name).sort(), ['cp-1', 'cp-2']);
    assert.ok(!remaining.some((m) => m.id === hex(id)));
    const members = await cli(['-n', CP[0], 'etcd', 'members']);
    assert.equal(members.stdout.trimEnd().split('\n').length, 3);

    // The left node's etcd is gone: its maintenance calls fail with Talos's wrapping.
    const status = await cli(['-n', leaving.address, 'etcd', 'status']);
    assert.equal(status.code, 1);
    assert.match(status.stderr, /^error from node 127\.64\.0\.3: rpc error: code = Unknown desc = failed to query etcd status: /);
  });
});

describe('EtcdSnapshot when etcd dies mid-stream (one member, 127.64.0.21)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-api-kill-'));
  let cluster;
  let agents;

  before(async () => {
    cluster = await startEtcdCluster(root, [['solo', '127.64.0.21']]);
    const member = cluster.members[0];
    const value = Buffer.alloc(1_000_000, 'k');
    for (let i = 0; i < 40; i += 4) await Promise.all([0, 1, 2, 3].map((j) => member.client.put(Buffer.from(`/big/${i + j}`), value, {timeoutMs: 30_000})));
    agents = await startAgentServers(root, [member.address], () => new TestEtcdAccess(member, cluster.members));
  });

  after(async () => {
    await agents?.stop();
    await cluster?.stop();
    fs.rmSync(root, {recursive: true, force: true});
  });

  it('the call fails with Talos\'s wrapping instead of ending as if the snapshot were whole', async () => {
    const member = cluster.members[0];
    const client = new MachineClient(`${member.address}:${agents.port}`, clientCredentials(agents.ca, agents.admin));
    try {
      const call = client.etcdSnapshot({});
      let received = 0;
      let killed = false;
      call.on('data', (data) => {
        received += data.bytes.length;
        if (!killed) {
          killed = true;
          call.pause();
          process.kill(member.process.child.pid, 'SIGKILL');
          setTimeout(() => call.resume(), 300);
        }
      });
      const started = Date.now();
      const outcome = await new Promise((resolve) => {
        call.on('end', () => resolve('end'));
        call.on('error', resolve);
      });
      assert.notEqual(outcome, 'end', `the stream ended normally after ${received} bytes`);
      assert.equal(outcome.code, 2);
      assert.match(outcome.details, /^failed reading etcd snapshot: /);
      assert.ok(received < 40_000_000, `${received} bytes: less than the database`);
      assert.ok(Date.now() - started < 10_000);
      await member.process.exited;
    } finally {
      client.close();
    }
  });
});
