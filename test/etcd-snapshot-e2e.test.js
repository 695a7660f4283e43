// `osctl etcd snapshot` through a real osd EtcdSnapshot method (an in-process AgentServer, as in
// etcd-api.test.js) from a real etcd 3.4 member over mutual TLS on 127.62.1.1, with ≈ 20 MB of
// keys: the file is a valid snapshot (etcdctl agrees with the printed line), and the time against
// `etcdctl snapshot save` from the same member is reported. The lead extends this with the
// cluster e2e (etcd service on osd, bootstrap --recover-from) once it lands.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {makeHome, osctl} from './helpers/cli.js';
import {etcdctl, startAgentServers, startEtcdCluster, TestEtcdAccess} from './helpers/etcd-api.js';

const ADDRESS = '127.62.1.1';

describe('etcd snapshot through osd from a real etcd member', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-snapshot-e2e-'));
  const user = makeHome('etcd-snapshot-e2e-home-');
  let cluster;
  let agents;
  let env;

  before(async () => {
    cluster = await startEtcdCluster(root, [['cp-1', ADDRESS]]);
    agents = await startAgentServers(root, [ADDRESS], () => new TestEtcdAccess(cluster.members[0], cluster.members));
    env = {...user.env, TALOSCONFIG: agents.talosconfig};
    const value = 'v'.repeat(2000);
    for (let start = 0; start < 10_000; start += 128) {
      const puts = Array.from({length: 128}, (_, i) => `put /e2e/${String(start + i).padStart(5, '0')} ${value}\n`).join('');
      etcdctl(cluster.pki, cluster.members[0], ['txn'], `\n${puts}\n\n`);
    }
    etcdctl(cluster.pki, cluster.members[0], ['del', '/e2e/00000', '/e2e/00500']);
  });

  after(async () => {
    await agents?.stop();
    await cluster?.stop();
    fs.rmSync(root, {recursive: true, force: true});
    fs.rmSync(user.home, {recursive: true, force: true});
  });

  it('saves a snapshot etcdctl reads as we print it; time against etcdctl snapshot save', async (t) => {
    const file = path.join(root, 'osctl.snapshot');
    const started = Date.now();
    const r = await osctl(['-n', ADDRESS, 'etcd', 'snapshot', file], {env, timeoutMs: 60_000});
    const osctlMs = Date.now() - started;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const status = JSON.parse(etcdctl(cluster.pki, cluster.members[0], ['snapshot', 'status', file, '-w', 'json']));
    const live = JSON.parse(etcdctl(cluster.pki, cluster.members[0], ['get', '--prefix', '', '--limit', '1', '-w', 'json'])).count;
    assert.ok(live >= 10_000 - 500, String(live)); // and whatever the member holds besides
    const size = fs.statSync(file).size;
    assert.equal(r.stdout, `etcd snapshot saved to ${JSON.stringify(file)} (${size} bytes)\n` +
      `snapshot info: hash ${status.hash.toString(16).padStart(8, '0')}, revision ${status.revision}, total keys ${live}, total size ${status.totalSize}\n`);
    assert.equal(fs.existsSync(`${file}.part`), false);

    const theirs = path.join(root, 'etcdctl.snapshot');
    const etcdctlStarted = Date.now();
    etcdctl(cluster.pki, cluster.members[0], ['snapshot', 'save', theirs]);
    const etcdctlMs = Date.now() - etcdctlStarted;
    t.diagnostic(`${(size / 1e6).toFixed(1)} MB: osctl ${osctlMs} ms (with start-up and the bbolt read), etcdctl snapshot save ${etcdctlMs} ms`);
    assert.equal(fs.statSync(theirs).size, size, 'the same database size as etcdctl saves');
  });
});
