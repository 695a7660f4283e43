// What osctl does with odd user input: files given by flags and arguments, durations, flags in the
// wrong place, empty lists, help, very long values and cluster names. End-to-end cases use one
// in-process osd agent on 127.42.0.2 and a silent TCP server on 127.42.0.3.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs';
import {createServer} from 'node:net';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {leadingFlagProblem} from '../dist/cli/argv.js';
import {durationFlag, MAX_TIMER_MS, parseDurationNs, timerDelay} from '../dist/cli/duration.js';
import {compileJsonPath, formatJsonPathResultLines} from '../dist/cli/jsonpath.js';
import {quoteInput} from '../dist/cli/quote.js';
import {resolveResourceType} from '../dist/cli/resources.js';
import {contextCredentials, readRegularFile, readTalosconfig, selectContext} from '../dist/cli/talosconfig.js';
import {generateCA, issueClientCert} from '../dist/machinery/pki.js';
import {DAY, startAgents} from './helpers/agents.js';
import {makeHome, osctl, osctlSpawn} from './helpers/cli.js';

const NODE = '127.42.0.2';
const SILENT = '127.42.0.3';
const b64 = (text) => Buffer.from(text).toString('base64');

describe('user-named files: one reader', () => {
  const {home, env, talosconfig} = makeHome('osctl-input-');
  const file = (name) => path.join(home, name);
  let pems;

  before(async () => {
    const ca = await generateCA({organization: 'talos', ttlMs: DAY});
    const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
    const other = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
    pems = {ca, admin, other};
    fs.writeFileSync(file('ca.crt'), ca.crt);
    fs.writeFileSync(file('ca.key'), ca.key);
    fs.writeFileSync(file('admin.crt'), admin.crt);
    fs.writeFileSync(file('admin.key'), admin.key);
    fs.writeFileSync(file('other.key'), other.key);
    execFileSync('mkfifo', [file('fifo')]);
  });

  after(() => fs.rmSync(home, {recursive: true, force: true}));

  const add = (ca, crt, key) => osctl(['config', 'add', 'lab', '--ca', ca, '--crt', crt, '--key', key], {env, timeoutMs: 10_000});

  it('config add refuses a FIFO at once, naming the flag', async () => {
    const r = await add(file('ca.crt'), file('fifo'), file('admin.key'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: client certificate \(--crt\) ".*fifo" is a named pipe \(FIFO\), not a regular file; give --crt the path/);
    assert.equal(fs.existsSync(talosconfig), false);
  });

  it('config add names the flag of a missing file or a directory', async () => {
    let r = await add('nofile', file('admin.crt'), file('admin.key'));
    assert.equal(r.code, 1);
    assert.equal(r.stderr.split('\n')[0], 'error: CA certificate (--ca) "nofile" does not exist; check the path, or give --ca the path of the CA certificate in PEM');
    assert.doesNotMatch(r.stderr, /ENOENT/);
    r = await add(file('ca.crt'), file('admin.crt'), home);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: client private key \(--key\) ".*" is a directory, not a regular file; give --key/);
  });

  it('config add checks the PEMs: a private key as --ca, a key that is not the certificate\'s', async () => {
    let r = await add(file('ca.key'), file('admin.crt'), file('admin.key'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: --ca ".*ca\.key": the file is not a PEM certificate \(it holds only a ".*PRIVATE KEY" block/);
    r = await add(file('ca.crt'), file('admin.crt'), file('other.key'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: --key ".*other\.key" and --crt ".*admin\.crt": the private key does not belong to the certificate/);
    assert.equal(fs.existsSync(talosconfig), false, 'nothing is written');
    r = await add(file('ca.crt'), file('admin.crt'), file('admin.key'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  it('config merge names its argument, not --talosconfig', async () => {
    const r = await osctl(['config', 'merge', file('fifo')], {env, timeoutMs: 10_000});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: talosconfig to merge ".*fifo" is a named pipe \(FIFO\), not a regular file; give `osctl config merge` the path of a talosconfig file/);
    assert.doesNotMatch(r.stderr, /--talosconfig/);
  });

  it('readRegularFile words every failure with the source it is given', () => {
    const source = {what: 'thing (--x)', fix: 'give --x a file'};
    assert.throws(() => readRegularFile(file('nope'), source), {message: `thing (--x) "${file('nope')}" does not exist; check the path, or give --x a file`});
    assert.throws(() => readRegularFile('/dev/zero', source), {message: 'thing (--x) "/dev/zero" is a character device, not a regular file; give --x a file'});
    assert.equal(readRegularFile(file('ca.crt'), source), pems.ca.crt);
  });
});

describe('talosconfig messages', () => {
  const {home} = makeHome('osctl-input-tc-');
  after(() => fs.rmSync(home, {recursive: true, force: true}));

  it('a file with content but no contexts says so, and a missing one that it is missing', () => {
    const currentOnly = path.join(home, 'current-only');
    fs.writeFileSync(currentOnly, 'context: x\n');
    const braces = path.join(home, 'braces');
    fs.writeFileSync(braces, '{}\n');
    assert.throws(() => selectContext(readTalosconfig(currentOnly), currentOnly), {
      message: new RegExp(`^talosconfig "${currentOnly}" has no contexts \\(its current context "x" is not defined under "contexts"\\): create a cluster`),
    });
    assert.throws(() => selectContext(readTalosconfig(braces), braces), {message: new RegExp(`^talosconfig "${braces}" has no contexts: `)});
    const missing = path.join(home, 'missing');
    assert.throws(() => selectContext(readTalosconfig(missing), missing), {message: new RegExp(`^talosconfig "${missing}" does not exist: `)});
  });

  it('every credentials problem ends with the same new-credentials hint', async () => {
    const ca = await generateCA({organization: 'talos', ttlMs: DAY});
    const a = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
    const b = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
    const messageOf = (context) => {
      try {
        contextCredentials({name: 'a', path: '/c', context});
      } catch (error) {
        return error.message;
      }
      assert.fail('no error');
    };
    const hintOf = (message) => message.slice(message.indexOf('; ') + 2);
    const missing = messageOf({ca: b64(ca.crt), crt: b64(a.crt)});
    const mismatch = messageOf({ca: b64(ca.crt), crt: b64(a.crt), key: b64(b.key)});
    assert.match(missing, /has no key; /);
    assert.equal(hintOf(missing), hintOf(mismatch));
  });
});

describe('durations', () => {
  it('accepts Go\'s whole range, e.g. 8760h, and refuses spaces as Go does', () => {
    assert.equal(durationFlag('timeout', '8760h'), 8760 * 3600_000);
    assert.equal(durationFlag('timeout', '2562047h47m16.854775807s'), Number(2n ** 63n - 1n) / 1e6);
    assert.throws(() => durationFlag('timeout', '2562047h47m16.854775808s'), /must be at most 2562047h47m16\.854775807s/);
    assert.throws(() => parseDurationNs(' 3s'), /invalid duration " 3s"/);
    assert.throws(() => parseDurationNs('3s '), /unknown unit "s "/);
    assert.throws(() => durationFlag('timeout', ' 3s'), {exitCode: 2});
  });

  it('timerDelay caps what setTimeout gets', () => {
    assert.equal(timerDelay(8760 * 3600_000), MAX_TIMER_MS);
    assert.equal(timerDelay(-5), 0);
    assert.equal(timerDelay(1500), 1500);
  });
});

describe('flags and arguments', () => {
  const {home, env, talosconfig} = makeHome('osctl-input-flags-');
  after(() => fs.rmSync(home, {recursive: true, force: true}));

  it('a command\'s flag before the command is a usage error naming the command', async () => {
    const r = await osctl(['-o', 'json', 'get', 'members'], {env});
    assert.equal(r.code, 2);
    assert.equal(r.stderr.split('\n')[0], 'error: -o is a flag of `osctl get` and must follow the command (`osctl get ... -o ...`): only the global flags --talosconfig, --context, -n/--nodes, -e/--endpoints and --timeout may come before the command');
    const commandAt = (words) => (words[0] === 'get' ? {id: 'get', flags: [{name: 'output', char: 'o', type: 'option'}]} : undefined);
    assert.match(leadingFlagProblem(['-n', 'a', 'get'], commandAt) ?? 'none', /^none$/, 'global flags are hoisted, not refused');
    assert.match(leadingFlagProblem(['--output=json', 'get', 'x'], commandAt), /^--output is a flag of `osctl get`/);
    assert.match(leadingFlagProblem(['--bogus', 'get', 'x'], commandAt), /^"--bogus" is neither a global flag nor a flag of `osctl get`/);
    assert.match(leadingFlagProblem(['--bogus'], commandAt), /^"--bogus" is not a global flag/);
    assert.equal(leadingFlagProblem(['-h'], commandAt), undefined);
  });

  it('config node and config endpoint refuse empty entries as -n does', async () => {
    fs.mkdirSync(path.dirname(talosconfig), {recursive: true});
    fs.writeFileSync(talosconfig, 'context: a\ncontexts:\n  a:\n    endpoints: [10.0.0.1]\n    nodes: [10.0.0.2]\n');
    const before = fs.readFileSync(talosconfig, 'utf8');
    for (const args of [['config', 'node', ''], ['config', 'node', ',,'], ['config', 'node', '10.0.0.3,'], ['config', 'endpoint', '']]) {
      const r = await osctl(args, {env});
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^error: osctl config (node|endpoint) ".*": invalid (node|endpoint) "": it is empty/);
    }
    assert.equal(fs.readFileSync(talosconfig, 'utf8'), before);
  });

  it('-h is --help on every command', async () => {
    for (const args of [['get', '-h'], ['config', 'add', '-h'], ['-h']]) {
      const r = await osctl(args, {env});
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /USAGE/);
      assert.equal(r.stderr, '');
    }
  });

  it('cluster destroy and show apply create\'s name length rule', async () => {
    for (const name of ['a'.repeat(300), 'a'.repeat(49)]) {
      for (const command of ['destroy', 'show']) {
        const r = await osctl(['cluster', command, '--name', name], {env});
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /^error: --name "a+(…" \(\d+ characters\)|") is too long: a cluster name has at most 48 characters/);
        assert.doesNotMatch(r.stderr, /ENAMETOOLONG/);
        assert.ok(r.stderr.length < 400, 'the name is not echoed in full');
      }
    }
  });
});

describe('long input', () => {
  it('an unknown 120 KB type name is refused at once, quoted shortened', () => {
    const typed = 'x'.repeat(120_000);
    const definition = {id: 'members.cluster.talos.dev', type: 'Members', displayType: 'Member', defaultNamespace: 'cluster', aliases: ['member', 'members'], allAliases: ['member', 'members'], printColumns: [], sensitive: false};
    const started = performance.now();
    assert.throws(() => resolveResourceType(Array(200).fill(definition), typed), (error) => {
      assert.equal(error.message, `resource "${'x'.repeat(64)}…" (120000 characters) is not registered`);
      return true;
    });
    assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
  });

  it('quoteInput keeps short input whole and never splits a character', () => {
    assert.equal(quoteInput('abc'), '"abc"');
    assert.equal(quoteInput('😀'.repeat(70)), `"${'😀'.repeat(64)}…" (70 characters)`);
  });
});

describe('-o jsonpath prints as talosctl does', () => {
  // talosctl's JSONPath writer prints every result of FindResults, text parts included, with a newline after each.
  it('text parts are results of their own', () => {
    const lines = (template, data) => formatJsonPathResultLines(compileJsonPath(template).execute(data));
    assert.equal(lines('A{.spec.hostname}B', {spec: {hostname: 'h1'}}), 'A\nh1\nB\n');
    assert.equal(lines('{"\\n"}', {}), '\n\n');
  });
});

describe('--timeout 8760h end to end', () => {
  const {home, env, talosconfig} = makeHome('osctl-input-e2e-');
  let cluster;
  let silent;
  const sockets = new Set();

  before(async () => {
    cluster = await startAgents(home, [['node-1', NODE, 'controlplane']], {cluster: 'input', alsoFreeOn: [SILENT]});
    const admin = await issueClientCert(cluster.ca, {roles: ['os:admin'], ttlMs: DAY});
    fs.mkdirSync(path.dirname(talosconfig), {recursive: true});
    const context = {endpoints: [`${NODE}:${cluster.port}`], nodes: [NODE], ca: b64(cluster.ca.crt), crt: b64(admin.crt), key: b64(admin.key)};
    fs.writeFileSync(talosconfig, JSON.stringify({context: 'input', contexts: {input: context}}));
    // Accepts connections and never says a word: connecting waits for the whole timeout.
    silent = createServer((socket) => sockets.add(socket));
    await new Promise((resolve) => silent.listen(0, SILENT, resolve));
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    await cluster?.stop();
    fs.rmSync(home, {recursive: true, force: true});
  });

  it('a call succeeds, up to Go\'s longest duration', async () => {
    for (const timeout of ['8760h', '2562047h47m16.854775807s']) {
      const r = await osctl(['--timeout', timeout, 'get', 'hostname', '-o', 'jsonpath={.spec.hostname}'], {env});
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'node-1\n');
    }
  });

  it('connecting to a silent endpoint waits, rather than timing out at once', async () => {
    const child = osctlSpawn(['--timeout', '8760h', '-e', `${SILENT}:${silent.address().port}`, 'get', 'hostname'], {env});
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const outcome = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2000))]);
    process.kill(child.pid, 'SIGKILL');
    await exited;
    assert.equal(outcome, 'still waiting', `osctl ended with ${outcome}: ${stderr}`);
  });
});
