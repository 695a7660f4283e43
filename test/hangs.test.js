// Nothing hangs: every osctl command ends within its deadline plus a small margin, whatever the
// endpoints and nodes do (accept TCP and never answer, die during a watch), and Ctrl-C stops at once.
// Real osd agents on loopback (127.34.1.x), and a "silent" peer that accepts TCP and never answers.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {pathToFileURL} from 'node:url';
import {clusterDescription, isAlive, killClusterLeftovers, makeHome, osctl, osctlSpawn, root} from './helpers/cli.js';

const NAME = 'hangs';
const CP = '127.34.1.2';
const WORKER = '127.34.1.3';
const DOOMED = '127.34.1.4';
/** Accepts TCP on :50000 and never answers: as an endpoint, and as a node osd forwards to. */
const SILENT = '127.34.0.2';
/** Addresses where nothing listens, for fan-outs over many nodes. */
const NOBODY = Array.from({length: 11}, (_, i) => `127.34.2.${i + 1}`);

/** What a finished command may take beyond its deadline: process start-up, output, exit. */
const MARGIN_MS = 3000;
/** Printed by bin/run.js (with DEBUG set) when handles outlived the command: a leak. */
const LEAK = /exiting with open handles/;

const escape = (s) => s.replaceAll('.', '\\.');

async function timed(promise) {
  const start = Date.now();
  const result = await promise;
  return {...result, ms: Date.now() - start};
}

/** Resolves once `pattern` appears in what `stream` has written (checking what was already collected). */
function waitFor(stream, collected, pattern, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pattern.test(collected())) {
        stream.off('data', check);
        clearTimeout(timer);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      stream.off('data', check);
      reject(new Error(`timed out waiting for ${pattern}; got:\n${collected()}`));
    }, timeoutMs);
    stream.on('data', check);
    check();
  });
}

function collect(child) {
  const out = {stdout: '', stderr: ''};
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
  return {out, exited};
}

/** Sends Ctrl-C and measures how long the process takes to exit. */
async function interrupt(child, exited) {
  const start = Date.now();
  child.kill('SIGINT');
  const code = await exited;
  return {code, ms: Date.now() - start};
}

describe('nothing hangs', () => {
  const {home, env} = makeHome('osctl-hangs-');
  const debugEnv = {...env, DEBUG: '1'};
  const silentSockets = new Set();
  const silent = net.createServer((socket) => {
    silentSockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => silentSockets.delete(socket));
  });
  const children = new Set();
  const track = (child) => {
    children.add(child);
    child.on('close', () => children.delete(child));
    return child;
  };

  before(async () => {
    await new Promise((resolve, reject) => silent.once('error', reject).listen(50000, SILENT, resolve));
    const created = await osctl(
      ['cluster', 'create', '--name', NAME, '--cidr', '127.34.1.0/24', '--controlplanes', '1', '--workers', '2'],
      {env, timeoutMs: 120_000},
    );
    assert.equal(created.code, 0, `cluster create failed:\n${created.stderr}`);
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await osctl(['cluster', 'destroy', '--name', NAME], {env});
    await killClusterLeftovers(home, NAME);
    for (const socket of silentSockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    fs.rmSync(home, {recursive: true, force: true});
  });

  it('a silent endpoint: version reports it and exits within the timeout, leaving nothing open', async () => {
    const r = await timed(osctl(['-e', SILENT, '--timeout', '2s', 'version'], {env: debugEnv}));
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.ms < 2000 + MARGIN_MS, `took ${r.ms} ms`);
    assert.match(r.stdout, /^Client:\n/);
    assert.match(r.stderr, new RegExp(`error from node ${escape(CP)}: endpoint ${escape(SILENT)}:50000 did not answer within 2s`));
    assert.doesNotMatch(r.stderr, LEAK);
  });

  it('a silent endpoint: get exits within the timeout too', async () => {
    const r = await timed(osctl(['-e', SILENT, '--timeout', '2s', 'get', 'hostname'], {env: debugEnv}));
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.ms < 2000 + MARGIN_MS, `took ${r.ms} ms`);
    assert.match(r.stderr, /did not answer within 2s/);
    assert.doesNotMatch(r.stderr, LEAK);
  });

  it('a failover list with a silent endpoint answers through the good one, quickly, and exits', async () => {
    // The start endpoint is random: several runs try both orders.
    for (let run = 0; run < 4; run++) {
      const r = await timed(osctl(['-e', `${SILENT},${CP}`, '-n', CP, '--timeout', '10s', 'version'], {env: debugEnv}));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Server:\n\tNODE:        ${escape(CP)}\n`));
      // Not the whole timeout: a silent endpoint only delays trying the next one.
      assert.ok(r.ms < 10_000 - MARGIN_MS, `took ${r.ms} ms`);
      assert.doesNotMatch(r.stderr, LEAK);
    }
  });

  it('get on a good and a silent node through one endpoint prints the good rows and names the silent node', async () => {
    // Silent first too: the node that did not list its resource definitions is not asked twice.
    for (const nodes of [`${CP},${SILENT}`, `${SILENT},${CP}`]) {
      const r = await timed(osctl(['-n', nodes, '--timeout', '4s', 'get', 'hostname'], {env: debugEnv}));
      assert.equal(r.code, 3, r.stderr);
      assert.ok(r.ms < 4000 + MARGIN_MS, `-n ${nodes}: took ${r.ms} ms`);
      assert.match(r.stdout, new RegExp(`^${escape(CP)} +network +HostnameStatus +hostname `, 'm'));
      assert.match(r.stderr, new RegExp(`^error from node ${escape(SILENT)}: `, 'm'));
      assert.doesNotMatch(r.stderr, LEAK);
    }
  });

  it('get -w: the timeout bounds a node\'s first answer, the other nodes keep streaming', async () => {
    const child = track(osctlSpawn(['-n', `${CP},${SILENT}`, '--timeout', '2s', 'get', 'members', '-w', '-o', 'ndjson'], {env: debugEnv}));
    const {out, exited} = collect(child);
    await waitFor(child.stderr, () => out.stderr, new RegExp(`error from node ${escape(SILENT)}: .*did not answer within 2s`), 2000 + MARGIN_MS);
    assert.ok(out.stdout.split('\n').filter(Boolean).some((l) => JSON.parse(l).node === CP), out.stdout);
    // The watch on the good node is not bounded by the timeout.
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(isAlive(child.pid), `the watch ended: ${out.stderr}`);
    const stopped = await interrupt(child, exited);
    assert.equal(stopped.code, 130);
    assert.equal(out.stderr.match(/error from node/g).length, 1, out.stderr);
    assert.doesNotMatch(out.stderr, LEAK);
  });

  it('Ctrl-C on a hung connection or call stops at once', async () => {
    for (const args of [['-e', SILENT, 'version'], ['-n', `${CP},${SILENT}`, 'get', 'hostname']]) {
      const child = track(osctlSpawn([...args, '--timeout', '30s'], {env: debugEnv}));
      const {out, exited} = collect(child);
      await new Promise((r) => setTimeout(r, 1500));
      const stopped = await interrupt(child, exited);
      assert.equal(stopped.code, 130, out.stderr);
      assert.ok(stopped.ms < 1000, `${args.join(' ')}: exit took ${stopped.ms} ms after Ctrl-C`);
      assert.doesNotMatch(out.stderr, /error/, out.stderr);
      assert.doesNotMatch(out.stderr, LEAK);
    }
  });

  it('the client closes everything it opened: a process using it exits by itself', async () => {
    // No bin/run.js here (its safety exit would hide a leak): the client alone, as a library.
    const script = `
      const {OsClient} = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/cli/client.js')).href)});
      const tc = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/cli/talosconfig.js')).href)});
      const file = process.env.TALOSCONFIG;
      const context = tc.selectContext(tc.readTalosconfig(file), file);
      for (const endpoints of [['${SILENT}:50000'], ['${SILENT}:50000', '${CP}:50000']]) {
        const client = await OsClient.connect({
          configPath: file, contextName: context.name, endpoints, ...tc.contextCredentials(context),
          timeoutMs: 1000, signal: new AbortController().signal,
        });
        const answer = await client.unary({path: '/machine.MachineService/Version', requestSerialize: () => Buffer.alloc(0),
          responseDeserialize: (b) => b}, {}).then(() => 'ok', (err) => err.message);
        console.log(answer);
        client.close();
      }
    `;
    const child = track(spawn(process.execPath, ['--no-deprecation', '--input-type=module', '-e', script], {
      env: {...env, TALOSCONFIG: path.join(home, '.talos', 'config')},
      stdio: ['ignore', 'pipe', 'pipe'],
    }));
    const {out, exited} = collect(child);
    const start = Date.now();
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(killer);
    assert.equal(code, 0, `the process did not exit by itself:\n${out.stdout}${out.stderr}`);
    assert.ok(Date.now() - start < 2 * 1000 + MARGIN_MS, `took ${Date.now() - start} ms`);
    const [first, second] = out.stdout.trimEnd().split('\n');
    assert.match(first, /did not answer within 1s/);
    assert.equal(second, 'ok');
  });

  it('more than 10 nodes: no MaxListenersExceededWarning', async () => {
    const nodes = [CP, WORKER, ...NOBODY].join(',');
    for (const command of [['version'], ['get', 'hostname']]) {
      const r = await osctl(['-n', nodes, '--timeout', '5s', ...command], {env});
      assert.equal(r.code, 3, r.stderr);
      assert.doesNotMatch(r.stderr, /MaxListeners|Warning/, r.stderr);
      assert.equal(r.stderr.match(/^error from node /gm).length, NOBODY.length, r.stderr);
    }
  });

  it('a node dying during get -w is reported when it happens; the others keep streaming; the error stays after Ctrl-C', async () => {
    const doomed = clusterDescription(home, NAME).nodes.find((n) => n.address === DOOMED);
    const child = track(osctlSpawn(['-n', `${CP},${WORKER},${DOOMED}`, 'get', 'members', '-w', '-o', 'ndjson'], {env: debugEnv}));
    const {out, exited} = collect(child);
    const lines = () => out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    // Each node's current members (3) are in.
    await waitFor(child.stdout, () => out.stdout, /(?:[^\n]*\n){9}/);
    for (const node of [CP, WORKER, DOOMED]) assert.equal(lines().filter((l) => l.node === node).length, 3, out.stdout);
    process.kill(doomed.pid, 'SIGKILL');
    await waitFor(child.stderr, () => out.stderr, new RegExp(`^error from node ${escape(DOOMED)}: `, 'm'), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(isAlive(child.pid), `the watch ended with the dead node: ${out.stderr}`);
    const stopped = await interrupt(child, exited);
    assert.equal(stopped.code, 130);
    assert.ok(stopped.ms < 1000, `exit took ${stopped.ms} ms after Ctrl-C`);
    // The dead node's error is still there, once; the nodes stopped by Ctrl-C are not "errors".
    assert.equal(out.stderr.match(/error from node/g).length, 1, out.stderr);
    assert.doesNotMatch(out.stderr, LEAK);
  });
});
