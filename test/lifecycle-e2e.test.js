// reboot, reset and shutdown end to end on 127.65.1.x: a local cluster made by the real CLI (one
// control plane, one worker), the built osctl against real osd processes. A reboot restarts the node's
// runtime in the same process (same PID, its service processes replaced, none left behind); a reset
// wipes the node's var folder and nothing outside it; a shutdown ends osd; bad input gets talosctl's
// texts and exit codes.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {after, before, describe, it} from 'node:test';
import {clusterDescription, createCluster, discardCluster, isAlive, makeHome, osctl} from './helpers/cli.js';

const CLUSTER = 'lc';
const CONTROL_PLANE = '127.65.1.2';
const WORKER = '127.65.1.3';

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

async function serviceStates(node) {
  const result = await osctl(['-n', node, 'service'], {env: user.env});
  if (result.code !== 0) return undefined;
  return Object.fromEntries(result.stdout.trim().split('\n').slice(1).map((line) => line.split(/\s+/).slice(1, 3)));
}

before(async () => {
  user = makeHome('osctl-lifecycle-');
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'osctl-lifecycle-scratch-'));
  pidFile = path.join(scratch, 'sleeper.pids');
  await createCluster(user, ['--name', CLUSTER, '--cidr', '127.65.1.0/24', '--controlplanes', '1', '--workers', '1']);
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

    const left = fs.readdirSync(path.join(root, 'var'), {recursive: true}).sort();
    // The etcd service of the control plane that came back makes its data dir again, empty (it waits in Preparing), maybe already.
    assert.deepEqual(left.filter((entry) => entry !== 'lib/etcd'), ['lib', 'log', 'log/osd.console.log', 'log/osd.log']);
    assert.equal(fs.readFileSync(path.join(outside, 'precious'), 'utf8'), 'keep me');
    assert.equal(fs.readFileSync(path.join(root, 'etc/not-ephemeral'), 'utf8'), 'kept');
    assert.deepEqual(fs.readFileSync(path.join(root, 'system/state/config.yaml')), config);
    assert.ok(isAlive(nodes[CONTROL_PLANE].pid));
    assert.equal((await serviceStates(CONTROL_PLANE)).machined, 'Running');
  });

  it('a graceful reset through oclif\'s parser (--no-wait) is accepted and the node comes back', async () => {
    const result = await osctl(['-n', CONTROL_PLANE, 'reset', '--reboot', '--system-labels-to-wipe', 'EPHEMERAL,META', '--no-wait'], {env: user.env});
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, '', '']);
    await eventually('the control plane back', async () => (await serviceStates(CONTROL_PLANE))?.machined === 'Running');
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
  it('reports talosctl\'s lines and fails within --wait-timeout when a check does not pass', async () => {
    const started = Date.now();
    const result = await osctl(['health', '--control-plane-nodes', CONTROL_PLANE, '--worker-nodes', WORKER, '--wait-timeout', '2s'], {env: user.env});
    assert.equal(result.code, 1);
    assert.ok(Date.now() - started < 10_000);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines[0], 'waiting for etcd to be healthy: ...');
    assert.match(lines.at(-1), /^error: health check "etcd to be healthy" did not pass within --wait-timeout 2s: /);
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
