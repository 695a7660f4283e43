// The etcd service end to end (127.68.3-5.x): a 3 control plane + 1
// worker cluster made by the real CLI runs real etcd 3.4 over TLS; Bootstrap's refusals, the
// supervisor restarting a killed etcd, EtcdMembers, and disaster recovery at the osd level
// (every member wiped, a snapshot uploaded with EtcdRecover, Bootstrap{recover_etcd}).
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
import {status} from '@grpc/grpc-js';
import {describeStatus, snapshotStatus} from '../dist/machinery/etcd-snapshot/index.js';
import {eventually, rejectsWith, unary} from './helpers/agents.js';
import {clusterDescription, discardCluster, isAlive, makeHome, osctl} from './helpers/cli.js';
import {etcdctl, etcdctlTxn, etcdEndpoints, parseEtcdJson, etcdPid, machineClient, restartNode, uploadSnapshot} from './helpers/etcd.js';

const execFileAsync = promisify(execFile);
const NAME = 'etcd-b';
const CIDR = '127.68.3.0/28';
const CP1 = '127.68.3.2';
const WORKER = '127.68.3.5';

/** `osctl service etcd` on one node: state, health and events, parsed from ServiceList. */
async function etcdService(user, address) {
  const client = machineClient(user.talosconfig, NAME, address);
  try {
    const reply = await unary(client, 'serviceList', {});
    return reply.messages[0].services.find((service) => service.id === 'etcd');
  } finally {
    client.close();
  }
}

async function waitHealthy(user, address, timeoutMs = 60_000) {
  await eventually(async () => {
    const etcd = await etcdService(user, address);
    assert.equal(etcd?.state, 'Running', `etcd on ${address}: ${etcd?.state} ${etcd?.events?.events.at(-1)?.msg}`);
    assert.equal(etcd.health.healthy, true, `etcd on ${address} not healthy: ${etcd.health.lastMessage}`);
  }, timeoutMs, 250);
}

describe('the etcd service on a 3+1 cluster', () => {
  const user = makeHome('osctl-etcd-service-');
  let members;
  let createMs;

  before(async () => {
    const started = Date.now();
    const created = await osctl(['cluster', 'create', '--name', NAME, '--cidr', CIDR, '--controlplanes', '3', '--workers', '1', '--wait-timeout', '60s'], {
      env: user.env,
      timeoutMs: 150_000,
    });
    createMs = Date.now() - started;
    assert.equal(created.code, 0, `cluster create failed:\n${created.stderr}`);
    assert.equal(created.stderr, '', 'success prints nothing on stderr without a terminal');
    members = await etcdEndpoints(user.env, NAME);
  });

  after(async () => {
    await discardCluster(user, NAME);
  });

  test('create bootstraps etcd: three voting members, seen with etcdctl and the files cluster show names', async () => {
    console.log(`cluster create (3+1, etcd healthy on every control plane): ${createMs} ms`);
    assert.deepEqual(members.map((member) => member.address), ['127.68.3.2', '127.68.3.3', '127.68.3.4']);
    for (const member of members) {
      assert.equal(member.endpoint, `https://${member.address}:2379`);
      for (const file of [member.ca, member.cert, member.key]) assert.ok(fs.existsSync(file), file);
    }
    const listed = await etcdctl(members[1], ['member', 'list', '-w', 'json']);
    assert.equal(listed.code, 0, listed.stderr);
    const list = parseEtcdJson(listed.stdout).members;
    assert.deepEqual(list.map((member) => member.name).sort(), members.map((member) => member.name));
    assert.ok(list.every((member) => member.isLearner !== true), 'no learner is left');
    // create returned once every member said it votes and knows a leader; the service's own health
    // check (first run 5 s after the start, Talos's timing) follows within that delay.
    for (const member of members) assert.equal((await etcdService(user, member.address)).state, 'Running');
    for (const member of members) await waitHealthy(user, member.address, 10_000);
    for (const member of members) assert.deepEqual(list.find((each) => each.name === member.name).clientURLs, [member.endpoint]);
  });

  test('EtcdMembers holds the local member id on each control plane; the worker has no etcd', async () => {
    const listed = parseEtcdJson((await etcdctl(members[0], ['member', 'list', '-w', 'json'])).stdout).members;
    for (const member of members) {
      const got = await osctl(['-n', member.address, 'get', 'etcdmembers', '-o', 'json'], {env: user.env});
      assert.equal(got.code, 0, got.stderr);
      const {spec} = JSON.parse(got.stdout);
      const expected = BigInt(listed.find((each) => each.name === member.name).ID).toString(16).padStart(16, '0');
      assert.equal(spec.memberID, expected);
    }
    assert.equal(await etcdService(user, WORKER), undefined);
  });

  test('Bootstrap again: AlreadyExists; on the worker: Unimplemented with Talos\'s text', async () => {
    const cp = machineClient(user.talosconfig, NAME, CP1);
    const worker = machineClient(user.talosconfig, NAME, WORKER);
    try {
      await rejectsWith(unary(cp, 'bootstrap', {}), status.ALREADY_EXISTS, 'etcd data directory is not empty');
      await rejectsWith(unary(worker, 'bootstrap', {}), status.UNIMPLEMENTED, 'bootstrap is only available on control plane nodes');
      await rejectsWith(uploadSnapshot(worker, Buffer.from('x')), status.UNIMPLEMENTED, 'etcd recover is only available on control plane nodes');
    } finally {
      cp.close();
      worker.close();
    }
  });

  test('a killed etcd is restarted by the supervisor and becomes healthy again', async () => {
    const dataDir = path.join(clusterDescription(user.home, NAME).nodes[1].stateDir, 'var/lib/etcd');
    const pid = etcdPid(dataDir);
    assert.ok(pid !== undefined, 'etcd runs');
    process.kill(pid, 'SIGKILL');
    await eventually(() => assert.ok(![undefined, pid].includes(etcdPid(dataDir)), 'a new etcd process'), 30_000, 200);
    await waitHealthy(user, members[1].address);
    const health = await etcdctl(members[1], ['endpoint', 'health']);
    assert.equal(health.code, 0, health.stderr);
  });

  test('disaster recovery: every member wiped, a bad upload fails the service, a good one brings every key back', async () => {
    // Keys, then a snapshot through etcdctl (what `osctl etcd snapshot` gets from EtcdSnapshot).
    for (let batch = 0; batch < 5; batch++) {
      const operations = Array.from({length: 100}, (_, i) => `put /dr/key-${String(batch * 100 + i).padStart(4, '0')} value-${batch * 100 + i}`);
      assert.equal(await etcdctlTxn(members[0], operations), 0);
    }
    const snapshotPath = path.join(user.home, 'db.snapshot');
    const saved = await etcdctl(members[0], ['snapshot', 'save', snapshotPath]);
    assert.equal(saved.code, 0, saved.stderr);
    const snapshot = fs.readFileSync(snapshotPath);

    // Wipe etcd on every control plane (stopping osd stops etcd with it); they come back in Preparing.
    const nodes = clusterDescription(user.home, NAME).nodes.filter((node) => node.role === 'controlplane');
    for (const node of nodes) {
      await restartNode(user.home, NAME, node.name, async () => {
        assert.equal(etcdPid(path.join(node.stateDir, 'var/lib/etcd')), undefined, 'etcd stopped with osd');
        const dataDir = path.join(node.stateDir, 'var/lib/etcd');
        for (const entry of fs.readdirSync(dataDir)) fs.rmSync(path.join(dataDir, entry), {recursive: true});
      });
    }
    for (const node of nodes) {
      await eventually(async () => {
        const etcd = await etcdService(user, node.address);
        assert.equal(etcd?.state, 'Preparing');
        assert.match(etcd.events.events.at(-1).msg, /^etcd is waiting to join the cluster/);
      }, 30_000, 250);
    }

    const cp = machineClient(user.talosconfig, NAME, CP1);
    const uploaded = path.join(nodes[0].stateDir, 'var/lib/etcd.snapshot');
    try {
      // A damaged snapshot (its sha256 trailer no longer matches): Failed with Talos's event, the upload kept, no data left.
      const damaged = Buffer.from(snapshot);
      damaged[damaged.length - 1] ^= 0xff;
      await uploadSnapshot(cp, damaged);
      assert.deepEqual(fs.readFileSync(uploaded), damaged);
      await unary(cp, 'bootstrap', {recoverEtcd: true, recoverSkipHashCheck: false});
      await eventually(async () => {
        const etcd = await etcdService(user, CP1);
        assert.equal(etcd.state, 'Failed');
        assert.match(etcd.events.events.at(-1).msg, /^Failed to run pre stage: error recovering from the snapshot: expected sha256 /);
      }, 30_000, 250);
      assert.ok(fs.existsSync(uploaded), 'the snapshot is kept after a failed restore');
      assert.deepEqual(fs.readdirSync(path.join(nodes[0].stateDir, 'var/lib/etcd')), []);

      // The real one.
      await uploadSnapshot(cp, snapshot);
      await unary(cp, 'bootstrap', {recoverEtcd: true, recoverSkipHashCheck: false});
      for (const node of nodes) await waitHealthy(user, node.address, 90_000);
      assert.equal(fs.existsSync(uploaded), false, 'the upload is removed after the restore');
      const logs = await osctl(['-n', CP1, 'logs', 'etcd'], {env: user.env});
      assert.equal(logs.code, 0, logs.stderr);
      // Talos's line with our reader's numbers; hash, revision and size as etcdctl sees the same file.
      const line = `osd: recovering etcd from snapshot: ${describeStatus(await snapshotStatus(snapshotPath))}\n`;
      assert.ok(logs.stdout.includes(line), `${line} not in:\n${logs.stdout}`);
      const status = JSON.parse((await execFileAsync('etcdctl', ['snapshot', 'status', snapshotPath, '-w', 'json'], {env: {PATH: process.env.PATH, ETCDCTL_API: '3'}})).stdout);
      assert.ok(line.includes(`hash ${status.hash.toString(16).padStart(8, '0')}, revision ${status.revision}, total keys 500, total size ${status.totalSize}`), line);
      assert.match(logs.stdout, /"msg":"serving client traffic securely"/, "etcd's own lines are in the service log");
    } finally {
      cp.close();
    }
    const count = await etcdctl(members[2], ['get', '--prefix', '/dr/', '--keys-only', '-w', 'json']);
    assert.equal(count.code, 0, count.stderr);
    assert.equal(parseEtcdJson(count.stdout).count, 500);
    const one = await etcdctl(members[1], ['get', '/dr/key-0042', '--print-value-only']);
    assert.equal(one.stdout.trim(), 'value-42');
    const list = parseEtcdJson((await etcdctl(members[0], ['member', 'list', '-w', 'json'])).stdout).members;
    assert.equal(list.length, 3);
    assert.ok(list.every((member) => member.isLearner !== true));
  });
});

describe('cluster create without etcd bootstrapped, and without an etcd binary', () => {
  test('--skip-bootstrap leaves the control plane waiting in Preparing; Bootstrap brings etcd up', async () => {
    const user = makeHome('osctl-etcd-skip-');
    try {
      const created = await osctl(['cluster', 'create', '--name', 'etcd-skip', '--cidr', '127.68.4.0/28', '--controlplanes', '1', '--workers', '0', '--skip-bootstrap'], {
        env: user.env,
        timeoutMs: 90_000,
      });
      assert.equal(created.code, 0, created.stderr);
      const address = '127.68.4.2';
      const client = machineClient(user.talosconfig, 'etcd-skip', address);
      try {
        await eventually(async () => {
          const etcd = await unary(client, 'serviceList', {}).then((reply) => reply.messages[0].services.find((service) => service.id === 'etcd'));
          assert.equal(etcd.state, 'Preparing');
          assert.equal(
            etcd.events.events.at(-1).msg,
            'etcd is waiting to join the cluster, if this node is the first node in the cluster, please run `talosctl bootstrap` against one of the following IPs: no other control plane is known yet',
          );
        }, 20_000, 250);
        const none = await osctl(['get', 'etcdmembers'], {env: user.env});
        assert.equal(none.code, 0, none.stderr);
        assert.doesNotMatch(none.stdout, /local/, 'no EtcdMembers while etcd is not running');
        await unary(client, 'bootstrap', {});
        const events = (await unary(client, 'serviceList', {})).messages[0].services.find((service) => service.id === 'etcd').events.events;
        const bootstrapRequested = events.findIndex((event) => event.msg === 'Bootstrap requested');
        assert.equal(events[bootstrapRequested].state, 'Finished');
        assert.deepEqual(events.slice(bootstrapRequested - 1, bootstrapRequested + 2).map((event) => `${event.state}: ${event.msg}`), [
          'Failed: Failed to run pre stage: context canceled',
          'Finished: Bootstrap requested',
          'Starting: Starting service',
        ]);
        await eventually(async () => {
          const got = await osctl(['get', 'etcdmembers', 'local', '-o', 'json'], {env: user.env});
          assert.equal(got.code, 0, got.stderr);
          assert.match(JSON.parse(got.stdout).spec.memberID, /^[0-9a-f]{16}$/);
        }, 30_000, 250);
      } finally {
        client.close();
      }
      // etcd is a recorded process group: destroy ends it even when osd was killed beforehand.
      const [node] = clusterDescription(user.home, 'etcd-skip').nodes;
      const etcd = etcdPid(path.join(node.stateDir, 'var/lib/etcd'));
      assert.ok(etcd !== undefined, 'etcd runs');
      process.kill(node.pid, 'SIGKILL');
      await eventually(() => assert.equal(isAlive(node.pid), false), 5000);
      const destroyed = await osctl(['cluster', 'destroy', '--name', 'etcd-skip'], {env: user.env});
      assert.equal(destroyed.code, 0, destroyed.stderr);
      // Killed by destroy; reaped by init soon after (a zombie still answers kill(pid, 0)).
      await eventually(() => assert.equal(isAlive(etcd), false, 'etcd does not outlive destroy'), 3000);
    } finally {
      await discardCluster(user, 'etcd-skip');
    }
  });

  test('with no etcd binary, create fails naming Debian\'s etcd-server package and leaves nothing behind', async () => {
    const user = makeHome('osctl-etcd-missing-');
    try {
      const created = await osctl(['cluster', 'create', '--name', 'etcd-none', '--cidr', '127.68.5.0/28', '--controlplanes', '1', '--workers', '0'], {
        env: {...user.env, OSD_ETCD_BINARY: '/nonexistent/etcd'},
        timeoutMs: 90_000,
      });
      assert.equal(created.code, 1);
      assert.match(
        created.stderr,
        /^error: etcd on etcd-none-controlplane-1 \(127\.68\.5\.2\) failed: Failed to run pre stage: etcd binary not found \(OSD_ETCD_BINARY=\/nonexistent\/etcd is not executable\): install Debian's etcd-server package or set OSD_ETCD_BINARY\n/,
      );
      assert.equal(fs.existsSync(path.join(user.home, '.talos', 'clusters', 'etcd-none')), false);
    } finally {
      await discardCluster(user, 'etcd-none').catch(() => undefined);
    }
  });
});
