// Output end to end against real osd agents on 127.36.0.0/24 (this file's range).
// A closed or failing stdout, as shells and scripts produce them: `osctl … | true`, `| head`,
// `>/dev/full`. A closed pipe ends osctl quietly with 141 (128 + SIGPIPE, as talosctl), promptly —
// a watch too; any other write failure is one line `error: writing output: …` and exit 1.
// And `version`'s forms as talosctl prints them: text, --short, --json.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {describeWriteError} from '../dist/cli/output/stdio.js';
import {killClusterLeftovers, makeHome, osctl, runJs} from './helpers/cli.js';

const NAME = 'pipes';
const CIDR = '127.36.0.0/24';
const NODES = '127.36.0.2,127.36.0.3';

/**
 * Runs `osctl <args> | <reader>` in bash; resolves with osctl's own exit status (PIPESTATUS),
 * its stderr, what the reader printed, and how long osctl took.
 */
function pipeInto(args, reader, {env}) {
  const dir = fs.mkdtempSync(path.join(env.HOME, 'pipe-'));
  const errFile = path.join(dir, 'stderr');
  const statusFile = path.join(dir, 'status');
  const quoted = [process.execPath, runJs, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const script = `start=$(date +%s%N); ${quoted} 2>'${errFile}' | ${reader}; echo "\${PIPESTATUS[0]} $(( ($(date +%s%N) - start) / 1000000 ))" >'${statusFile}'`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {env, stdio: ['ignore', 'pipe', 'inherit']});
    let readerOut = '';
    child.stdout.on('data', (d) => (readerOut += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`osctl ${args.join(' ')} | ${reader} did not end in 30s`));
    }, 30_000);
    child.on('close', () => {
      clearTimeout(timer);
      const [code, ms] = fs.readFileSync(statusFile, 'utf8').trim().split(' ').map(Number);
      resolve({code, ms, stderr: fs.readFileSync(errFile, 'utf8'), readerOut});
    });
  });
}

/** Runs osctl with stdout opened on `file` (e.g. /dev/full). */
function writeTo(args, file, {env}) {
  return new Promise((resolve) => {
    const out = fs.openSync(file, 'w');
    const child = spawn(process.execPath, [runJs, ...args], {env, stdio: ['ignore', out, 'pipe']});
    fs.closeSync(out);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({code: code ?? signal, stderr}));
  });
}

describe('describeWriteError', () => {
  it('keeps the reason and drops Node\'s code and syscall decoration', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'});
    assert.equal(describeWriteError(enospc), 'no space left on device');
    assert.equal(describeWriteError(Object.assign(new Error('write EIO'), {code: 'EIO'})), 'EIO');
  });
});

describe('a closed or full stdout', () => {
  const {home, env} = makeHome('osctl-pipes-');

  before(async () => {
    const created = await osctl(['cluster', 'create', '--name', NAME, '--cidr', CIDR, '--controlplanes', '1', '--workers', '1'], {env, timeoutMs: 120_000});
    assert.equal(created.code, 0, `cluster create failed:\n${created.stderr}`);
  });

  after(async () => {
    await osctl(['cluster', 'destroy', '--name', NAME], {env});
    await killClusterLeftovers(home, NAME);
    fs.rmSync(home, {recursive: true, force: true});
  });

  const quietly141 = (r, what) => {
    assert.equal(r.stderr, '', `${what}: nothing on stderr (no stack trace)`);
    assert.equal(r.code, 141, `${what}: exit 141 (128 + SIGPIPE)`);
  };

  it('version | true', async () => {
    quietly141(await pipeInto(['version', '-n', NODES], 'true', {env}), 'version | true');
    quietly141(await pipeInto(['version', '--client'], 'true', {env}), 'version --client | true');
  });

  it('get rd -o yaml | head -c 10, and get members -o jsonpath=… | head -1', async () => {
    // `exec 0<&-` closes the pipe before osctl writes, so every run takes the same path.
    quietly141(await pipeInto(['get', 'rd', '-o', 'yaml'], 'exec 0<&-', {env}), 'get rd -o yaml | (closed)');
    const head = await pipeInto(['get', 'rd', '-o', 'yaml'], 'head -c 10', {env});
    assert.equal(head.readerOut, 'node: 127.');
    assert.equal(head.stderr, '');
    assert.ok([0, 141].includes(head.code), `get rd -o yaml | head -c 10 exits 0 (all written before head left) or 141, not ${head.code}`);
    const jp = await pipeInto(['get', 'members', '-n', NODES, '-o', 'jsonpath={.spec.hostname}'], 'head -1', {env});
    assert.equal(jp.readerOut, `${NAME}-controlplane-1\n`);
    assert.equal(jp.stderr, '');
    quietly141(await pipeInto(['get', 'members', '-n', NODES, '-o', 'jsonpath={.spec.hostname}'], 'exec 0<&-', {env}), 'jsonpath | (closed)');
  });

  it('a watch whose reader is gone stops at its first write', async () => {
    for (const format of ['ndjson', 'table']) {
      const r = await pipeInto(['get', 'members', '-w', '-n', NODES, '-o', format], 'exec 0<&-', {env});
      quietly141(r, `get members -w -o ${format} | (closed)`);
      assert.ok(r.ms < 10_000, `the watch ended promptly (${r.ms} ms)`);
    }
  });

  it('a quiet watch ends as soon as its reader does (head -1), without waiting for another event', async () => {
    for (const format of ['ndjson', 'table']) {
      // The reader starts after the initial state was written, takes one line and exits; the cluster
      // then stays quiet, so no later write can tell osctl that its reader is gone.
      const r = await pipeInto(['get', 'members', '-w', '-n', NODES.split(',')[0], '-o', format], '(sleep 1; head -1 >/dev/null)', {env});
      quietly141(r, `get members -w -o ${format} | head -1`);
      assert.ok(r.ms < 5_000, `the watch ended promptly (${r.ms} ms)`);
    }
  });

  it("oclif's help output, too", async () => {
    quietly141(await pipeInto(['get', '--help'], 'exec 0<&-', {env}), 'get --help | (closed)');
  });

  it("version: talosctl's Client and Server blocks, --short, and --json as one protojson object per node", async () => {
    const text = await osctl(['version', '-n', NODES], {env});
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Client:\n\tTag: {9}v\d+\.\d+\.\d+\n\tSHA: {9}.*\n\tBuilt: {7}\n\tGo version: {2}node v\d.*\n\tOS\/Arch: {5}\w+\/\w+\nServer:\n\tNODE: {8}127\.36\.0\.2\n/);
    assert.equal(text.stdout.match(/\tEnabled: {5}RBAC\n/g).length, 2);
    // One build record for both sides: the client reports the commit the agents report.
    const shas = [...text.stdout.matchAll(/\tSHA: {9}(.*)\n/g)].map((m) => m[1]);
    assert.equal(shas.length, 3, text.stdout);
    assert.equal(new Set(shas).size, 1, `client and servers report one commit: ${shas.join(', ')}`);
    const short = await osctl(['version', '--short', '-n', NODES], {env});
    assert.match(short.stdout, /^Client:\nosctl v\d+\.\d+\.\d+\nServer:\n\tNODE: {8}127\.36\.0\.2\n\tTag: /);
    const client = await osctl(['version', '--client', '--short'], {env});
    assert.match(client.stdout, /^Client:\nosctl v\d+\.\d+\.\d+\n$/);
    const json = await osctl(['version', '--json', '-n', NODES], {env});
    assert.equal(json.code, 0, json.stderr);
    const lines = json.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2, json.stdout);
    for (const line of lines) {
      assert.doesNotMatch(line, /": /, 'compact');
      const message = JSON.parse(line);
      assert.deepEqual(Object.keys(message), ['version', 'platform', 'features'], 'proto field order');
      assert.deepEqual(Object.keys(message.version), ['tag', 'sha', 'built', 'goVersion', 'os', 'arch']);
      assert.equal(message.features.rbac, true);
    }
  });

  it('version: the Server line is printed even when no node answers', async () => {
    const r = await osctl(['version', '-n', '127.36.0.250', '--timeout', '5s'], {env});
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /\nServer:\n$/);
    assert.match(r.stderr, /error from node 127\.36\.0\.250: /);
  });

  it('>/dev/full: one line naming the reason, exit 1', async () => {
    for (const args of [['version', '--client'], ['get', 'members', '-o', 'yaml'], ['config', 'info']]) {
      const r = await writeTo(args, '/dev/full', {env});
      assert.equal(r.stderr, 'error: writing output: no space left on device\n', args.join(' '));
      assert.equal(r.code, 1, args.join(' '));
    }
  });
});
