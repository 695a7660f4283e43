// Every `osctl …` example a user is shown — the README's "Using it" block and each command's
// `--help` examples (from oclif.manifest.json) — runs as written against a real local cluster made
// by `osctl cluster create` with its default addresses (127.20.0.x), in a private HOME and working
// directory. Each must exit 0 and print nothing on stderr; a watch (-w) must print its first line,
// and is then stopped by PID.
// The default addresses are also where `scripts/setup.sh` leaves the user's own cluster running,
// so the examples run in a private network namespace (its own loopback) where the machine allows
// one (`unshare -rn`); elsewhere on the host's loopback, where 127.20.0.0/24 is this file's alone.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {generateCA, issueClientCert} from '../dist/machinery/pki.js';
import {killClusterLeftovers, makeHome, osctl, root} from './helpers/cli.js';

const DAY_MS = 24 * 3600 * 1000;

/**
 * The order the commands' examples run in: clusters first, their destruction last, and each
 * file an example reads made by an earlier one. Every command must be listed (a new command's
 * examples then get run too).
 */
const COMMAND_ORDER = [
  'cluster:create', 'cluster:show', 'config:context', 'get', 'version', 'service', 'containers', 'logs', 'restart', 'list', 'read', 'copy', 'usage', 'netstat', 'stats', 'time', 'meta:write', 'meta:delete', 'processes', 'memory', 'mounts', 'dmesg',
  'bootstrap', 'etcd:snapshot', 'etcd:snapshot:inspect', 'etcd:members', 'etcd:status', 'etcd:alarm:list', 'etcd:alarm:disarm', 'etcd:defrag', 'etcd:forfeit-leadership', 'etcd:leave', 'etcd:remove-member', 'config:info', 'config:new', 'config:merge',
  'config:contexts', 'config:endpoint', 'config:node', 'config:add', 'config:remove', 'health', 'reboot', 'reset', 'shutdown', 'cluster:destroy',
];

/** Examples that may print on stderr when they succeed, and what. */
const EXPECTED_STDERR = [{command: 'config merge', stderr: /^(renamed talosconfig context "[^"]+" -> "[^"]+"\n)*$/}];

/**
 * Examples whose node may be refused what they read, and the only failure allowed then: inside a
 * user namespace (or without root) the kernel refuses /dev/kmsg when kernel.dmesg_restrict is set,
 * and `dmesg` says so for each node, as its --help tells.
 */
const EXPECTED_REFUSALS = [
  {command: 'dmesg', stderr: /^(error from node \S+: rpc error: code = Unknown desc = error opening \/dev\/kmsg reader: open \/dev\/kmsg: (operation not permitted|permission denied)\n)+$/},
];

/** Splits a shell command line into words: quotes as sh reads them, `#` at a word's start begins a comment. */
function shellWords(line) {
  const words = [];
  let word;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end === -1) throw new Error(`unterminated ${c} in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

function readmeExamples() {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Using it'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'README.md has a ```sh block under "## Using it"');
  return block.split('\n').map(shellWords).filter((words) => words[0] === 'osctl').map((words) => words.slice(1));
}

function manifestExamples() {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8'));
  assert.deepEqual([...COMMAND_ORDER].sort(), Object.keys(manifest.commands).sort(), 'COMMAND_ORDER lists every command');
  return COMMAND_ORDER.flatMap((id) =>
    (manifest.commands[id].examples ?? []).map((example) => {
      const words = shellWords((typeof example === 'string' ? example : example.command).replaceAll('<%= config.bin %>', 'osctl'));
      assert.equal(words[0], 'osctl', `example of ${id}: ${example}`);
      return words.slice(1);
    }),
  );
}

/**
 * A process holding a new user and network namespace with loopback up; commands join it with
 * nsenter. Undefined where the machine allows none (no user namespaces, no unshare or ip).
 */
async function privateNetwork() {
  const holder = spawn('unshare', ['-rn', 'sh', '-c', 'ip link set lo up && echo ready && exec sleep 3600'], {stdio: ['ignore', 'pipe', 'ignore']});
  const ready = await new Promise((resolve) => {
    holder.on('error', () => resolve(false));
    holder.on('exit', () => resolve(false));
    holder.stdout.on('data', (d) => String(d).includes('ready') && resolve(true));
    setTimeout(() => resolve(false), 5000).unref();
  });
  if (!ready) {
    if (holder.exitCode === null && holder.pid) process.kill(holder.pid, 'SIGKILL');
    return undefined;
  }
  return {pid: holder.pid, prefix: ['nsenter', '-t', String(holder.pid), '-U', '-n', '--preserve-credentials']};
}

/**
 * Runs one example (inside the namespace when there is one; nsenter execs osctl in its own place,
 * so its PID is osctl's). A watch prints until stopped: after its first line it gets Ctrl-C.
 */
async function runExample(args, {env, cwd, network}) {
  const line = `osctl ${args.join(' ')}`;
  const watch = args.includes('-w') || args.includes('--watch');
  const r = await osctl(args, {env, cwd, timeoutMs: 120_000, prefix: network?.prefix, interruptAfterLine: watch});
  if (watch) {
    assert.equal(r.code, 130, `${line}: stopped with Ctrl-C\n${r.stderr}`);
    const first = r.stdout.split('\n')[0];
    if (args.includes('ndjson')) assert.doesNotThrow(() => JSON.parse(first), `${line}: first line is JSON: ${first}`);
    else assert.notEqual(first, '', line);
    assert.equal(r.stderr, '', `${line}: stderr`);
    return;
  }
  const refusal = EXPECTED_REFUSALS.find((e) => args.includes(e.command));
  if (refusal && r.code !== 0 && refusal.stderr.test(r.stderr)) return;
  assert.equal(r.code, 0, `${line} failed:\n${r.stderr}`);
  const allowed = EXPECTED_STDERR.find((e) => line.startsWith(`osctl ${e.command}`));
  if (allowed) assert.match(r.stderr, allowed.stderr, line);
  else assert.equal(r.stderr, '', `${line}: a successful command prints nothing on stderr`);
}

/** A private HOME and working directory, with the PEM files `config add`'s example reads. */
async function workplace(prefix) {
  const {home, env} = makeHome(prefix);
  const cwd = path.join(home, 'work');
  fs.mkdirSync(cwd);
  const ca = await generateCA({organization: 'talos', ttlMs: 365 * DAY_MS});
  const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: 365 * DAY_MS});
  fs.writeFileSync(path.join(cwd, 'ca.crt'), ca.crt);
  fs.writeFileSync(path.join(cwd, 'admin.crt'), admin.crt);
  fs.writeFileSync(path.join(cwd, 'admin.key'), admin.key);
  return {home, env, cwd};
}

describe('examples', () => {
  const homes = [];
  let network;

  before(async () => {
    network = await privateNetwork();
  });

  after(async () => {
    for (const home of homes) {
      await killClusterLeftovers(home); // whatever is left of the clusters the examples create
      fs.rmSync(home, {recursive: true, force: true});
    }
    if (network) process.kill(network.pid, 'SIGKILL');
  });

  it('shellWords reads quotes and comments as sh does', () => {
    assert.deepEqual(shellWords(`osctl get members -o jsonpath='{.spec.hostname}'   # one per line`), ['osctl', 'get', 'members', '-o', 'jsonpath={.spec.hostname}']);
    assert.deepEqual(shellWords('alias osctl="$PWD/bin/run.js"'), ['alias', 'osctl=$PWD/bin/run.js']);
  });

  it('the README\'s "Using it" block runs, from cluster create to cluster destroy', async (t) => {
    t.diagnostic(network ? 'in a private network namespace' : "on the host's loopback (no user namespaces here)");
    const examples = readmeExamples();
    assert.deepEqual(examples[0], ['cluster', 'create']);
    assert.deepEqual(examples.at(-1), ['cluster', 'destroy']);
    const where = {...(await workplace('osctl-readme-')), network};
    homes.push(where.home);
    for (const args of examples) await runExample(args, where);
  });

  it("the README's static pod example runs as shown: its container is a live process with CRI logs", async () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('### Services, static pods')))?.[1];
    assert.ok(yaml, 'README.md has a ```yaml block in "Services, static pods and extension services on osd"');
    const where = {...(await workplace('osctl-readme-pods-')), network};
    homes.push(where.home);
    fs.writeFileSync(path.join(where.cwd, 'pods.yaml'), yaml);
    const cidr = ['--cidr', '127.20.0.128/28', '--controlplanes', '1', '--workers', '0', '--name', 'readme-pods'];
    await runExample(['cluster', 'create', ...cidr, '--config-patch', '@pods.yaml'], where);
    const deadline = Date.now() + 20_000;
    let rows;
    for (;;) {
      const listed = await osctl(['containers', '-k', '-o', 'ndjson'], {env: where.env, cwd: where.cwd, prefix: network?.prefix});
      rows = listed.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
      if (rows.some((row) => row.status === 'CONTAINER_RUNNING') || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const container = rows.find((row) => row.status === 'CONTAINER_RUNNING');
    assert.ok(container, JSON.stringify(rows));
    assert.ok(fs.existsSync(`/proc/${container.pid}`), `PID ${container.pid} is a live process`);
    const logs = await osctl(['logs', '-k', container.id], {env: where.env, cwd: where.cwd, prefix: network?.prefix});
    assert.match(logs.stdout, /^127\.20\.0\.130: \S+Z stdout F \w{3} \w{3} /m, logs.stdout + logs.stderr);
    await runExample(['cluster', 'destroy', '--name', 'readme-pods'], where);
  });

  it("every command's --help examples run", async () => {
    const examples = manifestExamples();
    assert.ok(examples.length >= COMMAND_ORDER.length);
    const where = {...(await workplace('osctl-help-examples-')), network};
    homes.push(where.home);
    for (const args of examples) await runExample(args, where);
  });
});
