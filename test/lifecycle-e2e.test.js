// reboot, reset and shutdown end to end on 127.68.1.x: a local cluster made by the real CLI (one
// control plane, one worker), the built osctl against real osd processes (real etcd on the control
// plane). A reboot restarts the node's
// runtime in the same process (same PID, its service processes replaced, none left behind); a reset
// wipes the node's var folder and nothing outside it; a shutdown ends osd; bad input gets talosctl's
// texts and exit codes; health reports a control plane whose etcd waits to join, and passes once it
// is bootstrapped. On 127.68.2.x, three control planes: a graceful reset of one removes its etcd
// member before wiping, and the node joins again as a new member.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {after, before, describe, it} from 'node:test';
import {clusterDescription, createCluster, discardCluster, isAlive, makeHome, osctl} from './helpers/cli.js';
import {etcdctl, etcdEndpoints, machineClient, parseEtcdJson} from './helpers/etcd.js';
import {unary} from './helpers/agents.js';

const CLUSTER = 'lc';
const CONTROL_PLANE = '127.68.1.2';
const WORKER = '127.68.1.3';

let user;
let scratch;
let nodes;
/** Where the worker's extension service writes the PID of each start. */
let pidFile;

function pidsStarted() {
  return fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim().split('\n').map(Number) : [];
}

async function eventually(what, predicate, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await delay(100);
  }
}

/** The etcd service of `node` as ServiceList reports it (state, events). */
async function etcdService(node, cluster = CLUSTER, env = user) {
  const client = machineClient(env.talosconfig, cluster, node);
  try {
    return (await unary(client, 'serviceList', {})).messages[0].services.find((service) => service.id === 'etcd');
  } finally {
    client.close();
  }
}

async function serviceStates(node) {
  const result = await osctl(['-n', node, 'service'], {env: user.env});
  if (result.code !== 0) return undefined;
  return Object.fromEntries(result.stdout.trim().split('\n').slice(1).map((line) => line.split(/\s+/).slice(1, 3)));
}

before(async () => {
  user = makeHome('osctl-lifecycle-');
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'osctl-lifecycle-scratch-'));
  pidFile = path.join(scratch, 'sleeper.pids');
  await createCluster(user, ['--name', CLUSTER, '--cidr', '127.68.1.0/24', '--controlplanes', '1', '--workers', '1']);
  nodes = Object.fromEntries(clusterDescription(user.home, CLUSTER).nodes.map((node) => [node.address, node]));
  // An extension service on the worker: services are read when the runtime starts, so the first reboot brings it up.
  const stateDir = nodes[WORKER].stateDir;
  fs.mkdirSync(path.join(stateDir, 'usr/local/etc/containers'), {recursive: true});
  fs.mkdirSync(path.join(stateDir, 'usr/local/lib/containers/sleeper'), {recursive: true});
  fs.writeFileSync(
    path.join(stateDir, 'usr/local/etc/containers/sleeper.yaml'),
    `name: sleeper\ncontainer:\n  entrypoint: ./run\n  environment: ["PIDFILE=${pidFile}"]\nrestart: always\n`,
  );
  fs.writeFileSync(path.join(stateDir, 'usr/local/lib/containers/sleeper/run'), '#!/bin/sh\necho $$ >> "$PIDFILE"\nexec sleep 600\n', {mode: 0o755});
});

after(async () => {
  await discardCluster(user, CLUSTER);
  fs.rmSync(scratch, {recursive: true, force: true});
});

describe('reboot', () => {
  it('--wait restarts the runtime in the same process, follows the node until it is back, and the events carry the actor id', async () => {
    const pid = nodes[WORKER].pid;
    const started = Date.now();
    const result = await osctl(['-n', WORKER, 'reboot'], {env: user.env});
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines[0], `watching nodes: [${WORKER}]`);
    assert.equal(lines.at(-1), `    * ${WORKER}: back up`);
    const actor = /actor ([0-9a-f-]{36})/.exec(result.stderr)?.[1];
    assert.ok(actor, result.stderr);
    assert.ok(Date.now() - started < 15_000, `reboot --wait took ${Date.now() - started} ms`);
    assert.ok(isAlive(pid), 'osd keeps its PID');
    const log = fs.readFileSync(path.join(nodes[WORKER].stateDir, 'var/log/osd.log'), 'utf8');
    assert.match(log, new RegExp(`reboot \\(actor ${actor}\\): stopping the node`));
    assert.match(log, /node runtime started again \(boot 2\)/);
    const states = await serviceStates(WORKER);
    assert.equal(states.machined, 'Running');
    assert.equal(states.apid, 'Running');
    // The new runtime read the extension service the old one did not have.
    await eventually('the sleeper service', async () => (await serviceStates(WORKER))?.['ext-sleeper'] === 'Running');
    await eventually('the sleeper PID', () => pidsStarted().length === 1);
  });

  it('a second reboot replaces the service processes: the old one is gone, nothing is left behind', async () => {
    const [first] = pidsStarted();
    assert.ok(isAlive(first));
    const result = await osctl(['-n', WORKER, 'reboot', '--mode', 'powercycle'], {env: user.env});
    assert.equal(result.code, 0, result.stderr);
    await eventually('a new sleeper', () => pidsStarted().length === 2);
    const [, second] = pidsStarted();
    assert.notEqual(second, first);
    assert.ok(!isAlive(first), `the first sleeper (${first}) outlived the reboot`);
    assert.ok(isAlive(second));
    assert.ok(isAlive(nodes[WORKER].pid));
  });

  it('--wait=false returns at once, prints nothing, and the node comes back', async () => {
    const result = await osctl(['-n', WORKER, 'reboot', '--wait=false'], {env: user.env});
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, '', '']);
    await eventually('the worker back with its sleeper', async () => (await serviceStates(WORKER))?.['ext-sleeper'] === 'Running' && pidsStarted().length === 3);
  });

  it('without -n the context\'s nodes are the targets, and nothing asks when stdin is not a terminal', async () => {
    const result = await osctl(['reboot', '--wait=false'], {env: user.env});
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, '', '']);
    const log = path.join(nodes[CONTROL_PLANE].stateDir, 'var/log/osd.log');
    await eventually('the control plane to restart', () => /node runtime started again/.test(fs.readFileSync(log, 'utf8')));
    await eventually('the control plane back', async () => (await serviceStates(CONTROL_PLANE))?.machined === 'Running');
  });

  it('refuses a mode talosctl does not have', async () => {
    const result = await osctl(['-n', WORKER, 'reboot', '--mode', 'sideways'], {env: user.env});
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: invalid reboot mode: "sideways"\n/);
  });
});

describe('reset', () => {
  it('--graceful=false --reboot --system-labels-to-wipe=EPHEMERAL empties var (except osd\'s log files) and nothing outside it', async () => {
    const root = nodes[CONTROL_PLANE].stateDir;
    const outside = path.join(scratch, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'precious'), 'keep me');
    fs.mkdirSync(path.join(root, 'var/lib/etcd/member/snap'), {recursive: true});
    fs.writeFileSync(path.join(root, 'var/lib/etcd/member/snap/db'), 'etcd data');
    fs.writeFileSync(path.join(root, 'var/log/old.log'), 'old');
    fs.symlinkSync(outside, path.join(root, 'var/lib/link-to-outside'));
    fs.writeFileSync(path.join(root, 'var/top-level-file'), 'x');
    fs.writeFileSync(path.join(root, 'etc/not-ephemeral'), 'kept');
    const config = fs.readFileSync(path.join(root, 'system/state/config.yaml'));

    const result = await osctl(['-n', CONTROL_PLANE, 'reset', '--graceful=false', '--reboot', '--system-labels-to-wipe=EPHEMERAL'], {env: user.env});
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, new RegExp(`    \\* ${CONTROL_PLANE.replaceAll('.', '\\.')}: back up\\n$`));

    // The etcd service of the control plane that came back makes its data dir again (empty) before
    // it says it waits to join: wait for that, then the list is exact.
    await eventually('etcd waiting to join', async () => /^etcd is waiting to join the cluster/.test((await etcdService(CONTROL_PLANE).catch(() => undefined))?.events?.events.at(-1)?.msg ?? ''));
    assert.equal((await etcdService(CONTROL_PLANE)).state, 'Preparing', 'the wiped control plane waits for a bootstrap');
    assert.deepEqual(fs.readdirSync(path.join(root, 'var'), {recursive: true}).sort(), ['lib', 'lib/etcd', 'log', 'log/osd.console.log', 'log/osd.log']);
    assert.equal(fs.readFileSync(path.join(outside, 'precious'), 'utf8'), 'keep me');
    assert.equal(fs.readFileSync(path.join(root, 'etc/not-ephemeral'), 'utf8'), 'kept');
    assert.deepEqual(fs.readFileSync(path.join(root, 'system/state/config.yaml')), config);
    assert.ok(isAlive(nodes[CONTROL_PLANE].pid));
    assert.equal((await serviceStates(CONTROL_PLANE)).machined, 'Running');
  });

  it('a graceful reset through oclif\'s parser (--no-wait) is accepted and the node comes back', async () => {
    // On the worker: it has no etcd member to leave (the control plane's etcd, wiped above, is not
    // running, so a graceful reset there would keep trying to leave it for minutes).
    const before = pidsStarted().length;
    const result = await osctl(['-n', WORKER, 'reset', '--reboot', '--system-labels-to-wipe', 'EPHEMERAL,META', '--no-wait'], {env: user.env});
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, '', '']);
    await eventually('the worker back with a new sleeper', async () => (await serviceStates(WORKER))?.['ext-sleeper'] === 'Running' && pidsStarted().length === before + 1);
  });

  it('bad input gets talosctl\'s texts: the wipe mode locally, the rest from the node', async () => {
    const local = await osctl(['-n', CONTROL_PLANE, 'reset', '--wipe-mode', 'everything'], {env: user.env});
    assert.equal(local.code, 2);
    assert.equal(local.stderr, 'error: invalid argument "everything" for "--wipe-mode" flag: possible options are: all, system-disk, user-disks\n');
    const cases = [
      [['--wipe-mode', 'system-disk', '--user-disks-to-wipe', '/dev/sdb'], "Unknown desc = reset failed: invalid input, wipe mode SYSTEM_DISK doesn't support UserDisksToWipe parameter"],
      [['--wipe-mode', 'user-disks', '--system-labels-to-wipe', 'EPHEMERAL'], "Unknown desc = reset failed: invalid input, wipe mode USER_DISKS doesn't support SystemPartitionsToWipe parameter"],
      [['--user-disks-to-wipe', '/dev/sdz'], "Unknown desc = reset user disk failed: device /dev/sdz wasn't found"],
      [['--system-labels-to-wipe', 'SWAP'], 'Unknown desc = failed to get volume status with label "SWAP": resource VolumeStatuses.block.talos.dev(runtime/SWAP@undefined) doesn\'t exist'],
      [['--system-labels-to-wipe', 'STATE'], 'FailedPrecondition desc = reset failed: osd cannot wipe STATE'],
    ];
    for (const [flags, text] of cases) {
      const result = await osctl(['-n', CONTROL_PLANE, 'reset', ...flags, '--wait=false'], {env: user.env});
      assert.equal(result.code, 1, `${flags.join(' ')}: ${result.stderr}`);
      assert.ok(result.stderr.startsWith(`error executing reset on node ${CONTROL_PLANE}: rpc error: code = ${text}`), `${flags.join(' ')}: ${result.stderr}`);
    }
    // None of them touched the node.
    assert.equal((await serviceStates(CONTROL_PLANE)).machined, 'Running');
  });
});

describe('health', () => {
  it('fails within --wait-timeout while the control plane\'s etcd waits to join, with the node\'s state; passes once it is bootstrapped', async () => {
    // The state the reset above left: the only control plane's etcd data is gone and nobody bootstrapped it.
    const etcd = await etcdService(CONTROL_PLANE);
    assert.equal(etcd.state, 'Preparing');
    const waiting =
      'etcd is waiting to join the cluster, if this node is the first node in the cluster, please run `talosctl bootstrap` against one of the following IPs: no other control plane is known yet';
    assert.equal(etcd.events.events.at(-1).msg, waiting);

    const started = Date.now();
    const args = ['health', '--control-plane-nodes', CONTROL_PLANE, '--worker-nodes', WORKER];
    const result = await osctl([...args, '--wait-timeout', '2s'], {env: user.env});
    assert.equal(result.code, 1);
    assert.ok(Date.now() - started < 10_000);
    const failure = `1 error occurred:\n\t* ${CONTROL_PLANE}: service "etcd" not in expected state "Running": current state [Preparing] ${waiting}`;
    assert.equal(
      result.stderr,
      `waiting for etcd to be healthy: ...\nwaiting for etcd to be healthy: ${failure}\nerror: health check "etcd to be healthy" did not pass within --wait-timeout 2s: ${failure}\n`,
    );

    const bootstrapped = await osctl(['-n', CONTROL_PLANE, 'bootstrap'], {env: user.env});
    assert.deepEqual([bootstrapped.code, bootstrapped.stdout, bootstrapped.stderr], [0, '', '']);
    const healthy = await osctl([...args, '--wait-timeout', '60s'], {env: user.env, timeoutMs: 90_000});
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.match(healthy.stderr, /waiting for etcd to be healthy: OK\n/);
  });

  it('refuses a bad --wait-timeout', async () => {
    const result = await osctl(['health', '--wait-timeout', 'soon'], {env: user.env});
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /wait-timeout/);
  });
});

describe('shutdown', () => {
  it('--wait follows the node until it is gone; osd and its service processes end', async () => {
    const {pid} = nodes[WORKER];
    const sleeper = pidsStarted().at(-1);
    assert.ok(isAlive(sleeper));
    const result = await osctl(['-n', WORKER, 'shutdown'], {env: user.env});
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, new RegExp(`    \\* ${WORKER.replaceAll('.', '\\.')}: gone\\n$`));
    await eventually('osd to exit', () => !isAlive(pid), 10_000);
    assert.ok(!isAlive(sleeper), 'the service process outlived osd');
    const log = fs.readFileSync(path.join(nodes[WORKER].stateDir, 'var/log/osd.log'), 'utf8');
    assert.match(log, /shutdown \(actor [0-9a-f-]{36}\): stopped\n$/);
  });

  it('a node that is gone is reported with talosctl\'s lead and exit 1', async () => {
    const result = await osctl(['-n', WORKER, 'reboot', '--wait=false', '--timeout', '3s'], {env: user.env});
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`^error executing reboot on node ${WORKER.replaceAll('.', '\\.')}: `));
  });
});

describe('graceful reset of one control plane of three', () => {
  const NAME = 'lc3';
  const home = makeHome('osctl-lifecycle-3cp-');
  const ADDRESSES = ['127.68.2.2', '127.68.2.3', '127.68.2.4'];
  const RESET = ADDRESSES[2];
  let members;

  before(async () => {
    await createCluster(home, ['--name', NAME, '--cidr', '127.68.2.0/28', '--controlplanes', '3', '--workers', '0']);
    members = await etcdEndpoints(home.env, NAME);
  });

  after(async () => {
    await discardCluster(home, NAME);
  });

  async function memberList() {
    const listed = await etcdctl(members[0], ['member', 'list', '-w', 'json']);
    assert.equal(listed.code, 0, listed.stderr);
    return parseEtcdJson(listed.stdout).members;
  }

  it('`reset --reboot` removes the member first, wipes, and the node joins again: three voting members, health passes', async () => {
    const name = members.find((member) => member.address === RESET).name;
    const before = await memberList();
    assert.equal(before.length, 3);
    const oldId = before.find((member) => member.name === name).ID;

    const result = await osctl(['-n', RESET, 'reset', '--reboot', '--system-labels-to-wipe', 'EPHEMERAL'], {env: home.env, timeoutMs: 120_000});
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`    \\* ${RESET.replaceAll('.', '\\.')}: back up\\n$`));

    // The new member is not the old one, and the join found no stale member of this name to remove:
    // the reset removed it before wiping.
    const after = await eventually('three voting members again', async () => {
      const list = await memberList();
      return list.length === 3 && list.every((member) => member.isLearner !== true && member.name !== '') ? list : undefined;
    }, 60_000);
    const rejoined = after.find((member) => member.name === name);
    assert.ok(rejoined, `${name} is a member again`);
    assert.notEqual(rejoined.ID, oldId);
    const events = (await etcdService(RESET, NAME, home)).events.events.map((event) => event.msg);
    const newIdText = BigInt(rejoined.ID).toString(16).padStart(16, '0');
    assert.ok(events.includes(`Added etcd member ${newIdText} as a learner through ${ADDRESSES[0]}`) || events.includes(`Added etcd member ${newIdText} as a learner through ${ADDRESSES[1]}`), events.join('\n'));
    assert.ok(!events.some((msg) => msg.startsWith('Removed stale etcd member')), events.join('\n'));
    const log = fs.readFileSync(path.join(clusterDescription(home.home, NAME).nodes.find((node) => node.address === RESET).stateDir, 'var/log/osd.log'), 'utf8');
    assert.match(log, /reset \(actor [0-9a-f-]{36}\): stopping the node/);

    const health = await osctl(['health', '--control-plane-nodes', ADDRESSES.join(','), '--wait-timeout', '60s'], {env: home.env, timeoutMs: 90_000});
    assert.equal(health.code, 0, health.stderr);
    assert.match(health.stderr, /waiting for etcd members to be consistent across nodes: OK\n/);
  });
});
