// The seed's disaster-recovery runbook ("6 - Disaster Recovery"), step by step as an operator types
// it, on a local cluster of 3 control planes and 1 worker with real etcd (127.66.0.0/24, used by no
// other test): snapshot, wipe every control plane's etcd with reset, recover with bootstrap
// --recover-from, and the same from a `cp`-ed member/snap/db with --recover-skip-hash-check.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {createCluster, discardCluster, makeHome, osctl} from './helpers/cli.js';
import {etcdctl, etcdEndpoints} from './helpers/etcd.js';

const NAME = 'dr';
const CPS = ['127.66.0.2', '127.66.0.3', '127.66.0.4'];
const KEYS = 3000;
const BATCH = 125;

describe('the disaster-recovery runbook, end to end', {timeout: 600_000}, () => {
  const user = makeHome('osctl-dr-');
  const run = (args, options = {}) => osctl(args, {env: user.env, cwd: user.home, timeoutMs: 120_000, ...options});
  let etcd;

  before(async () => {
    await createCluster(user, ['--name', NAME, '--cidr', '127.66.0.0/24', '--controlplanes', '3', '--workers', '1']);
    etcd = await etcdEndpoints(user.env, NAME);
    assert.equal(etcd.length, 3);
  });
  after(() => discardCluster(user, NAME));

  /** Writes `count` keys /runbook/<round>/kNNNNN through etcdctl txn, BATCH puts per transaction. */
  async function writeKeys(round, count) {
    for (let start = 0; start < count; start += BATCH) {
      const puts = [];
      for (let i = start; i < Math.min(count, start + BATCH); i++) puts.push(`put /runbook/${round}/k${String(i).padStart(5, '0')} value-${round}-${i}`);
      const input = `\n${puts.join('\n')}\n\n\n`;
      const result = await etcdctlWithInput(etcd[0], ['txn'], input);
      assert.equal(result.code, 0, result.stderr);
    }
  }

  async function countKeys(member, prefix) {
    const result = await etcdctl(member, ['get', '--prefix', '--limit', '1', '-w', 'json', prefix]);
    if (result.code !== 0) return `etcdctl failed: ${result.stderr.trim()}`;
    return JSON.parse(result.stdout).count ?? 0;
  }

  async function waitFor(what, check, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      last = await check();
      if (last === true) return;
      await delay(500);
    }
    assert.fail(`${what} did not happen within ${timeoutMs / 1000}s; last: ${JSON.stringify(last)}`);
  }

  async function etcdState(node) {
    const result = await run(['-n', node, 'service', 'etcd']);
    return /^STATE\s+(\S+)/m.exec(result.stdout)?.[1];
  }

  // The disaster: every control plane's etcd is wiped at once, as the runbook's reset does it to each
  // (one at a time, a wiped node would simply rejoin the members still in quorum).
  async function wipeAllControlPlanes() {
    const reset = await run(['-n', CPS.join(','), 'reset', '--graceful=false', '--reboot', '--system-labels-to-wipe=EPHEMERAL']);
    assert.equal(reset.code, 0, reset.stderr);
    // --wait (the default) follows the nodes in plain lines on stderr when it is not a terminal.
    for (const node of CPS) assert.match(reset.stderr, new RegExp(`^    \\* ${node.replaceAll('.', '\\.')}: back up$`, 'm'));
    // "At this point, all control plane nodes should boot up, and etcd service should be in the Preparing state."
    for (const node of CPS) await waitFor(`etcd Preparing on ${node}`, async () => (await etcdState(node)) === 'Preparing' || (await etcdState(node)));
  }

  async function recoverAndCheck(args, round, expected) {
    const bootstrap = await run(['-n', CPS[0], 'bootstrap', ...args]);
    assert.equal(bootstrap.code, 0, bootstrap.stderr);
    assert.match(bootstrap.stdout, /^recovering from snapshot ".+": hash [0-9a-f]{8}, revision \d+, total keys \d+, total size \d+\n$/);
    await waitFor('three started voting etcd members', async () => {
      const members = await run(['-n', CPS[0], 'etcd', 'members']);
      if (members.code !== 0) return members.stderr;
      const rows = members.stdout.trim().split('\n').slice(1).map((line) => line.split(/\s{2,}/));
      // NODE ID HOSTNAME PEER URLS CLIENT URLS LEARNER: started (a hostname) and voting (LEARNER false)
      return (rows.length === 3 && rows.every((row) => row.length === 6 && row[5] === 'false')) || members.stdout;
    });
    for (const member of etcd) await waitFor(`keys back on ${member.name}`, async () => (await countKeys(member, `/runbook/${round}/`)) === expected || (await countKeys(member, `/runbook/${round}/`)));
    const table = await run(['-n', CPS[0], 'etcd', 'members']);
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout.trim().split('\n').length, 4, table.stdout);
  }

  test('snapshot, reset every control plane, bootstrap --recover-from: every key comes back', async () => {
    await writeKeys('a', KEYS);
    const snapshot = await run(['-n', CPS[0], 'etcd', 'snapshot', 'db.snapshot']);
    assert.equal(snapshot.code, 0, snapshot.stderr);
    assert.equal(snapshot.stderr, '');
    const size = fs.statSync(path.join(user.home, 'db.snapshot')).size;
    assert.equal(size % 512, 32);
    assert.equal(
      snapshot.stdout.split('\n')[0],
      `etcd snapshot saved to "db.snapshot" (${size} bytes)`,
    );
    assert.match(snapshot.stdout.split('\n')[1], /^snapshot info: hash [0-9a-f]{8}, revision \d+, total keys \d+, total size \d+$/);

    const inspect = await run(['etcd', 'snapshot', 'inspect', 'db.snapshot']);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.ok(inspect.stdout.includes(snapshot.stdout.split('\n')[1].replace('snapshot info: ', '')), inspect.stdout);
    const before = await run(['-n', CPS.join(','), 'etcd', 'members']);
    assert.equal(before.code, 0, before.stderr);
    assert.equal(before.stdout.trim().split('\n').length, 1 + 3 * 3, 'each node lists the 3 members');

    await wipeAllControlPlanes();
    await recoverAndCheck(['--recover-from=./db.snapshot'], 'a', KEYS);
    const health = await run(['health', '--wait-timeout', '2m']);
    assert.equal(health.code, 0, health.stdout + health.stderr);
  });

  test('the same from a cp-ed member/snap/db with --recover-skip-hash-check', async () => {
    await writeKeys('b', 500);
    const copy = await run(['-n', CPS[1], 'cp', '/var/lib/etcd/member/snap/db', '.']);
    assert.equal(copy.code, 0, copy.stderr);
    const db = path.join(user.home, 'db');
    assert.ok(fs.statSync(db).size > 0);
    const refused = await run(['-n', CPS[0], 'bootstrap', '--recover-from=./db']);
    assert.notEqual(refused.code, 0, 'a file without the sha256 trailer needs --recover-skip-hash-check');

    await wipeAllControlPlanes();
    await recoverAndCheck(['--recover-from=./db', '--recover-skip-hash-check'], 'b', 500);
    assert.equal(await countKeys(etcd[0], '/runbook/a/'), KEYS);
  });
});

function etcdctlWithInput(member, args, input) {
  return import('node:child_process').then(
    ({spawn}) =>
      new Promise((resolve) => {
        const child = spawn('etcdctl', ['--endpoints', member.endpoint, '--cacert', member.ca, '--cert', member.cert, '--key', member.key, ...args], {
          env: {PATH: process.env.PATH, ETCDCTL_API: '3'},
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({code, stdout, stderr}));
        child.stdin.end(input);
      }),
  );
}
