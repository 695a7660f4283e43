// osd's stop signals on a real bin/osd.js (127.49.0.0/16): SIGTERM, SIGINT and SIGHUP stop it
// cleanly however early they come, and the test helpers that SIGKILL osd end what it left running.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {after, before, describe, it} from 'node:test';
import * as yaml from 'js-yaml';
import {killClusterLeftovers, root as repo} from './helpers/cli.js';
import {prepareCluster, startCluster} from './helpers/osd-processes.js';

/** Every process osd starts for this test (service, pod, and what they fork) carries this in its environment. */
const MARKER = `OSD_SIGNALS_TEST=${process.pid}-${Date.now()}`;

/** PIDs of live processes whose environment holds `marker` (environments are inherited by whatever they fork). */
function markedProcesses(marker) {
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!fs.readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) continue;
      if (/^\S+ \(.*\) Z /.test(fs.readFileSync(`/proc/${entry}/stat`, 'latin1'))) continue; // a zombie has ended
      found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** A state dir with an extension service and a static pod, both long-running and marked. */
function addWork(stateDir, marker) {
  const [name, value] = marker.split('=');
  fs.mkdirSync(path.join(stateDir, 'usr/local/etc/containers'), {recursive: true});
  fs.writeFileSync(
    path.join(stateDir, 'usr/local/etc/containers/sleeper.yaml'),
    `name: sleeper\ncontainer:\n  entrypoint: ./run\n  environment: ["${marker}"]\nrestart: always\n`,
  );
  const rootfs = path.join(stateDir, 'usr/local/lib/containers/sleeper');
  fs.mkdirSync(rootfs, {recursive: true});
  fs.writeFileSync(path.join(rootfs, 'run'), '#!/bin/sh\nsleep 300 &\nwait\n', {mode: 0o755});
  const configPath = path.join(stateDir, 'system/state/config.yaml');
  const config = yaml.load(fs.readFileSync(configPath, 'utf8'));
  config.machine.pods = [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: 'sleeper'},
      spec: {terminationGracePeriodSeconds: 2, containers: [{name: 'sleeper', image: 'busybox', command: ['/bin/sh', '-c', 'sleep 300 & wait'], env: [{name, value}]}]},
    },
  ];
  fs.writeFileSync(configPath, yaml.dump(config));
}

async function until(condition, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

function killMarked(marker) {
  for (const pid of markedProcesses(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

describe('osd stop signals', () => {
  let root;
  let cluster;
  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-signals-'));
    cluster = await prepareCluster(root, [['sig-node', '127.49.0.2', 'controlplane']]);
    addWork(cluster.stateDirs[0], MARKER);
  });
  after(() => {
    killMarked(MARKER); // only if a test failed half-way
    fs.rmSync(root, {recursive: true, force: true});
  });

  /**
   * Starts osd, sends `signal` once `ready(output)` holds, and resolves with how osd ended. Fails
   * when osd does not end within 20 s (it must never hang).
   */
  async function signalled(signal, ready) {
    const stateDir = cluster.stateDirs[0];
    fs.rmSync(path.join(stateDir, 'etc/hostname'), {force: true});
    const child = spawn(
      process.execPath,
      [path.join(repo, 'bin/osd.js'), '--state-dir', stateDir, '--address', '127.49.0.2', '--port', String(cluster.port), '--discovery-dir', cluster.discoveryDir],
      {stdio: ['ignore', 'pipe', 'pipe']},
    );
    const output = {stdout: '', stderr: ''};
    child.stdout.on('data', (chunk) => (output.stdout += chunk));
    child.stderr.on('data', (chunk) => (output.stderr += chunk));
    const ended = new Promise((resolve) => child.once('close', (code, signalName) => resolve({code, signal: signalName})));
    try {
      await until(() => ready(output, stateDir) || child.exitCode !== null, `osd to be ready for ${signal}`);
      child.kill(signal);
      const deadline = delay(20_000).then(() => 'hung');
      const result = await Promise.race([ended, deadline]);
      assert.notEqual(result, 'hung', `osd did not end within 20 s after ${signal}\n${output.stderr}`);
      return {...result, ...output};
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  it('SIGTERM as soon as osd runs: a clean stop, exit 0 with a clear line, nothing left running', async () => {
    const result = await signalled('SIGTERM', (output) => output.stderr.includes('osd starting'));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /info SIGTERM: shutting down once start-up has finished\n/);
    assert.match(result.stderr, /info stopped\n$/);
    assert.doesNotMatch(result.stdout, /listening/, 'a stopping osd does not announce that it listens');
    assert.deepEqual(markedProcesses(MARKER), []);
  });

  it('SIGTERM while the node starts (its services and pods starting): they are stopped, nothing is left running', async () => {
    // etc/hostname is written half-way through the start, before the runtime and the services start.
    const result = await signalled('SIGTERM', (output, stateDir) => fs.existsSync(path.join(stateDir, 'etc/hostname')));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /info SIGTERM: shutting down/);
    assert.match(result.stderr, /info stopped\n$/);
    assert.deepEqual(markedProcesses(MARKER), []);
  });

  for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM']) {
    it(`${signal} once the service and the pod run: a clean stop, nothing left running`, async () => {
      const result = await signalled(signal, () => markedProcesses(MARKER).length >= 4); // sh + sleep, twice
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`info ${signal}: shutting down\\n`));
      assert.match(result.stdout, /^osd listening on 127\.49\.0\.2:\d+\n$/);
      assert.deepEqual(markedProcesses(MARKER), []);
    });
  }

  it('SIGTERM at once after spawn: never hangs, leaves nothing running', async () => {
    // Before osd's code runs, Node's own handler ends the process by the signal (nothing has started then).
    const result = await signalled('SIGTERM', () => true);
    if (result.signal === 'SIGTERM') assert.equal(result.stderr, '');
    else assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(markedProcesses(MARKER), []);
  });
});

describe('test teardowns that SIGKILL osd', () => {
  const roots = [];
  after(() => {
    for (const dir of roots) fs.rmSync(dir, {recursive: true, force: true});
  });

  it('startCluster().stop() ends the services and pods each osd left running', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-signals-cluster-'));
    roots.push(root);
    const marker = `${MARKER}-cluster`;
    const cluster = await startCluster(root, [['kill-node', '127.49.1.2', 'controlplane']], {beforeStart: (stateDir) => addWork(stateDir, marker)});
    try {
      await until(() => markedProcesses(marker).length >= 4, 'the service and the pod');
      await cluster.stop();
      assert.deepEqual(markedProcesses(marker), []);
    } finally {
      await cluster.stop();
      killMarked(marker);
    }
  });

  it('killClusterLeftovers ends an osd of a cluster description and what its state dir records', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-signals-home-'));
    roots.push(root);
    const marker = `${MARKER}-home`;
    const cluster = await prepareCluster(path.join(root, 'state'), [['home-node', '127.49.2.2', 'controlplane']]);
    const [stateDir] = cluster.stateDirs;
    addWork(stateDir, marker);
    const osd = spawn(process.execPath, [path.join(repo, 'bin/osd.js'), '--state-dir', stateDir, '--address', '127.49.2.2', '--port', String(cluster.port)], {stdio: 'ignore'});
    try {
      const description = path.join(root, '.talos/clusters/home/cluster.json');
      fs.mkdirSync(path.dirname(description), {recursive: true});
      fs.writeFileSync(description, JSON.stringify({nodes: [{name: 'home-node', pid: osd.pid, stateDir}]}));
      await until(() => markedProcesses(marker).length >= 4, 'the service and the pod');
      await killClusterLeftovers(root, 'home');
      await until(() => osd.exitCode !== null || osd.signalCode !== null, 'osd to end', 2000);
      assert.equal(osd.signalCode, 'SIGKILL');
      assert.deepEqual(markedProcesses(marker), []);
    } finally {
      osd.kill('SIGKILL');
      killMarked(marker);
    }
  });
});
