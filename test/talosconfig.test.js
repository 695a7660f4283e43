import {after, test} from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  TalosConfigError,
  addContext,
  contextCredentials,
  mergeTalosconfig,
  normalizeEndpoint,
  readTalosconfig,
  removeContext,
  resolveTalosconfigPath,
  selectContext,
  setCurrentContext,
  setEndpoints,
  setNodes,
  writeTalosconfig,
} from '../dist/cli/talosconfig.js';

const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'talosconfig-test-'));
after(() => fs.rmSync(tempRoot, {recursive: true, force: true}));

function tempDir() {
  return fs.mkdtempSync(path.join(tempRoot, 'case-'));
}

function touch(file) {
  fs.mkdirSync(path.dirname(file), {recursive: true});
  fs.writeFileSync(file, '');
  return file;
}

function writeText(text) {
  const file = path.join(tempDir(), 'config');
  fs.writeFileSync(file, text);
  return file;
}

const b64 = (text) => Buffer.from(text).toString('base64');

test('path resolution: --talosconfig wins even when the file does not exist yet', () => {
  const home = tempDir();
  const fromEnv = touch(path.join(home, 'env-config'));
  assert.equal(resolveTalosconfigPath('/nowhere/flag-config', {TALOSCONFIG: fromEnv}, home), '/nowhere/flag-config');
});

test('path resolution: the first existing of $TALOSCONFIG, $TALOS_HOME/config, ~/.talos/config wins', () => {
  const home = tempDir();
  const homeConfig = touch(path.join(home, '.talos', 'config'));
  const fromEnv = touch(path.join(home, 'env-config'));
  const talosHome = path.join(home, 'talos-home');
  const talosHomeConfig = touch(path.join(talosHome, 'config'));

  assert.equal(resolveTalosconfigPath(undefined, {TALOSCONFIG: fromEnv, TALOS_HOME: talosHome}, home), fromEnv);
  // A $TALOSCONFIG that does not exist is skipped when a later candidate exists.
  assert.equal(resolveTalosconfigPath(undefined, {TALOSCONFIG: path.join(home, 'missing')}, home), homeConfig);
  assert.equal(resolveTalosconfigPath(undefined, {TALOS_HOME: talosHome}, home), talosHomeConfig);
  assert.equal(resolveTalosconfigPath(undefined, {TALOSCONFIG: ''}, home), homeConfig);
});

test('path resolution: a relative $TALOS_HOME is ignored', () => {
  const home = tempDir();
  const homeConfig = touch(path.join(home, '.talos', 'config'));
  const cwdRelative = path.relative(process.cwd(), tempDir());
  touch(path.join(cwdRelative, 'config'));
  assert.equal(resolveTalosconfigPath(undefined, {TALOS_HOME: cwdRelative}, home), homeConfig);
});

test('path resolution: when nothing exists, the first candidate is where a config would be created', () => {
  const home = tempDir();
  assert.equal(resolveTalosconfigPath(undefined, {}, home), path.join(home, '.talos', 'config'));
  assert.equal(resolveTalosconfigPath(undefined, {TALOSCONFIG: '/tmp/x/new'}, home), '/tmp/x/new');
  assert.equal(resolveTalosconfigPath(undefined, {TALOS_HOME: '/opt/talos'}, home), '/opt/talos/config');
});

test('reading: a missing, empty or comment-only file is an empty config', () => {
  assert.deepEqual(readTalosconfig(path.join(tempDir(), 'absent')), {});
  assert.deepEqual(readTalosconfig(writeText('')), {});
  assert.deepEqual(readTalosconfig(writeText('# nothing here\n')), {});
});

test('reading: a talosctl-written file parses, scalars become strings, nulls vanish', () => {
  const file = writeText(`context: prod
contexts:
  prod:
    endpoints:
      - 10.0.0.1
      - 10.0.0.2:50000
    nodes: [10.0.0.5]
    ca: ${b64('ca')}
    crt: ${b64('crt')}
    key: ${b64('key')}
    cluster: 123
    auth: {siderov1: {identity: me@example.com}}
  staging:
    endpoints: []
    nodes:
`);
  assert.deepEqual(readTalosconfig(file), {
    context: 'prod',
    contexts: {
      prod: {
        endpoints: ['10.0.0.1', '10.0.0.2:50000'],
        nodes: ['10.0.0.5'],
        ca: b64('ca'),
        crt: b64('crt'),
        key: b64('key'),
        cluster: '123',
        auth: {siderov1: {identity: 'me@example.com'}},
      },
      staging: {endpoints: []},
    },
  });
});

test('reading: the legacy target is appended to endpoints', () => {
  const file = writeText('context: a\ncontexts:\n  a:\n    target: 10.0.0.9\n    endpoints: [10.0.0.1]\n  b:\n    target: 10.0.0.8\n');
  const cfg = readTalosconfig(file);
  assert.deepEqual(cfg.contexts.a, {endpoints: ['10.0.0.1', '10.0.0.9']});
  assert.deepEqual(cfg.contexts.b, {endpoints: ['10.0.0.8']});
});

test('reading: errors name the file and the bad key', () => {
  const cases = [
    ['context: a\ncontexts: [\n', /is invalid: it is not valid YAML: .+ at line 3, column 1;/],
    ['- a\n- b\n', /the top level must be a map \(got a list\)/],
    ['contexts: [a, b]\n', /"contexts" must be a map of context names \(got a list\)/],
    ['contexts:\n  prod:\n    endpoints: 10.0.0.1\n', /"contexts\.prod\.endpoints" must be a list of strings \(got string "10\.0\.0\.1"\)/],
    ['contexts:\n  prod:\n    nodes: [{a: 1}]\n', /"contexts\.prod\.nodes\[0\]" must be a string \(got a map\)/],
    ['contexts:\n  prod: hello\n', /"contexts\.prod" must be a map/],
    ['context: [x]\ncontexts: {}\n', /"context" must be a string/],
    ['contexts:\n  prod:\n    ca: {x: 1}\n', /"contexts\.prod\.ca" must be a string/],
    ['a: 1\n---\nb: 2\n', /more than one YAML document/],
  ];
  for (const [text, expected] of cases) {
    const file = writeText(text);
    assert.throws(
      () => readTalosconfig(file),
      (error) => {
        assert.ok(error instanceof TalosConfigError, `${text}: ${error}`);
        assert.match(error.message, expected);
        assert.ok(error.message.includes(`talosconfig "${file}"`), error.message);
        assert.match(error.message, /fix the file/);
        return true;
      },
    );
  }
});

test('selectContext: a missing config explains how to get one', () => {
  assert.throws(
    () => selectContext({}, '/home/u/.talos/config'),
    {
      name: 'TalosConfigError',
      message:
        'talosconfig "/home/u/.talos/config" does not exist: create a cluster with `osctl cluster create`, merge a talosconfig with `osctl config merge <file>`, or point --talosconfig / $TALOSCONFIG at another file',
    },
  );
});

test('selectContext: no current context lists the choices', () => {
  const cfg = {contexts: {a: {}, b: {}}};
  assert.throws(() => selectContext(cfg, '/c'), (error) => {
    assert.ok(error instanceof TalosConfigError);
    assert.match(error.message, /no current context is set in talosconfig "\/c"/);
    assert.match(error.message, /`osctl config context <name>`/);
    assert.match(error.message, /available contexts: a, b$/);
    return true;
  });
});

test('selectContext: unknown context, the current one and --context override', () => {
  const cfg = {context: 'a', contexts: {a: {endpoints: ['1.1.1.1']}, b: {endpoints: ['2.2.2.2']}}};
  assert.throws(() => selectContext(cfg, '/c', 'x'), {
    message: 'context "x" not found in talosconfig "/c"; available contexts: a, b',
  });
  assert.throws(() => selectContext({context: 'gone', contexts: {a: {}}}, '/c'), {
    message: 'context "gone" not found in talosconfig "/c"; available contexts: a',
  });
  // Inherited object keys are not contexts.
  assert.throws(() => selectContext(cfg, '/c', 'constructor'), /context "constructor" not found/);
  assert.deepEqual(selectContext(cfg, '/c'), {name: 'a', context: {endpoints: ['1.1.1.1']}, path: '/c'});
  assert.equal(selectContext(cfg, '/c', 'b').name, 'b');
});

test('contextCredentials decodes PEMs and relabels the Talos Ed25519 key', async () => {
  const {generateCA, issueClientCert} = await import('../dist/machinery/pki.js');
  const ca = await generateCA({organization: 'talos', ttlMs: 3600_000});
  const {crt, key} = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: 3600_000});
  assert.match(key, /^-----BEGIN ED25519 PRIVATE KEY-----\n/);
  const resolved = {name: 'a', path: '/c', context: {ca: b64(ca.crt), crt: b64(crt), key: b64(key)}};
  assert.deepEqual(contextCredentials(resolved), {ca: ca.crt, crt, key: key.replaceAll('ED25519 PRIVATE KEY', 'PRIVATE KEY')});

  assert.throws(() => contextCredentials({name: 'a', path: '/c', context: {ca: b64(ca.crt)}}), {
    name: 'TalosConfigError',
    message: /^context "a" of talosconfig "\/c" has no crt, key; get a new talosconfig .*osctl config new/,
  });
  assert.throws(
    () => contextCredentials({name: 'a', path: '/c', context: {ca: b64(ca.crt), crt: 'bm90IHBlbQ==', key: b64(key)}}),
    /the client certificate \("crt"\) in context "a" of talosconfig "\/c" is not a PEM certificate \(no "-----BEGIN/,
  );
});

test('normalizeEndpoint', () => {
  const cases = [
    ['10.0.0.1', '10.0.0.1:50000'],
    [' cp.example ', 'cp.example:50000'],
    ['10.0.0.1:6443', '10.0.0.1:6443'],
    ['[fd00::1]', '[fd00::1]:50000'],
    ['[fd00::1]:50001', '[fd00::1]:50001'],
    ['fd00::1', '[fd00::1]:50000'],
    ['https://lb.example', 'lb.example:443'],
    ['https://lb.example/', 'lb.example:443'],
    ['https://lb.example:8443', 'lb.example:8443'],
    ['https://[fd00::1]', '[fd00::1]:443'],
  ];
  for (const [input, expected] of cases) assert.equal(normalizeEndpoint(input), expected, input);
  for (const [input, reason] of [
    ['', /is empty/],
    ['host:abc', /port "abc" is not a number/],
    ['host:70000', /port "70000"/],
    ['http://lb.example', /scheme "http" is not supported/],
    ['[fd00::1', /not a host or host:port/],
  ]) {
    assert.throws(() => normalizeEndpoint(input), (error) => {
      assert.ok(error instanceof TalosConfigError);
      assert.match(error.message, reason);
      assert.match(error.message, /use host, host:port, \[ipv6\]:port or https:\/\/host\[:port\]/);
      return true;
    });
  }
});

test('mergeTalosconfig renames clashing contexts and switches to the merged current context', () => {
  const into = {context: 'home', contexts: {home: {endpoints: ['1']}, prod: {endpoints: ['2']}, 'prod-1': {endpoints: ['3']}}};
  const from = {context: 'prod', contexts: {prod: {endpoints: ['9']}, lab: {endpoints: ['8']}, home: {endpoints: ['7']}}};
  const {config, renamed} = mergeTalosconfig(into, from);
  assert.deepEqual(renamed, [
    {from: 'prod', to: 'prod-2'},
    {from: 'home', to: 'home-1'},
  ]);
  assert.equal(config.context, 'prod-2');
  assert.deepEqual(Object.keys(config.contexts), ['home', 'prod', 'prod-1', 'prod-2', 'lab', 'home-1']);
  assert.deepEqual(config.contexts['prod-2'], {endpoints: ['9']});
  assert.deepEqual(config.contexts.prod, {endpoints: ['2']});
  // pure: the input is untouched
  assert.deepEqual(Object.keys(into.contexts), ['home', 'prod', 'prod-1']);

  const noCurrent = mergeTalosconfig(into, {contexts: {lab: {}}});
  assert.equal(noCurrent.config.context, 'home');
  assert.deepEqual(noCurrent.renamed, []);
});

test('context edits are pure and reject unknown names', () => {
  const cfg = {context: 'a', contexts: {a: {endpoints: ['1.1.1.1']}}};
  const added = addContext(cfg, 'b', {endpoints: []});
  assert.deepEqual(Object.keys(added.contexts), ['a', 'b']);
  assert.deepEqual(Object.keys(cfg.contexts), ['a']);
  assert.throws(() => addContext(added, 'b', {}), /context "b" already exists.*osctl config remove b/);

  assert.equal(setCurrentContext(added, 'b').context, 'b');
  assert.throws(() => setCurrentContext(added, 'zz'), {message: 'context "zz" not found in the talosconfig; available contexts: a, b'});

  const removedCurrent = removeContext(added, 'a');
  assert.deepEqual(removedCurrent, {contexts: {b: {endpoints: []}}});
  assert.equal(removeContext(added, 'b').context, 'a');
  assert.throws(() => removeContext(added, 'zz'), TalosConfigError);

  const withEndpoints = setEndpoints(added, ['10.0.0.1', 'https://lb']);
  assert.deepEqual(withEndpoints.contexts.a.endpoints, ['10.0.0.1', 'https://lb']);
  assert.deepEqual(added.contexts.a.endpoints, ['1.1.1.1']);
  assert.deepEqual(setEndpoints(added, ['10.0.0.2'], 'b').contexts.b.endpoints, ['10.0.0.2']);
  assert.throws(() => setEndpoints(added, ['host:bad']), /invalid endpoint "host:bad"/);

  assert.deepEqual(setNodes(added, ['10.0.0.5']).contexts.a, {endpoints: ['1.1.1.1'], nodes: ['10.0.0.5']});
  assert.throws(() => setNodes(added, ['x'], 'zz'), /context "zz" not found/);
  assert.throws(() => setNodes({contexts: {a: {}}}, ['x']), /no current context is set/);
});

test('writing: atomic, 0600 file in a 0700 directory, talosctl key order, round trip', () => {
  const dir = path.join(tempDir(), 'new', '.talos');
  const file = path.join(dir, 'config');
  const cfg = {
    context: 'a',
    contexts: {a: {key: 'K', cluster: 'c', crt: 'C', ca: 'A', nodes: ['10.0.0.5'], 'x-future': 1}, b: {}},
  };
  writeTalosconfig(file, cfg);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual(fs.readdirSync(dir), ['config']);
  const text = fs.readFileSync(file, 'utf8');
  assert.equal(
    text,
    // As talosctl writes it: Go's yaml.v3, 4-space indentation.
    'context: a\ncontexts:\n    a:\n        endpoints: []\n        nodes:\n            - 10.0.0.5\n        ca: A\n        crt: C\n        key: K\n        cluster: c\n        x-future: 1\n    b:\n        endpoints: []\n',
  );
  assert.deepEqual(readTalosconfig(file), {
    context: 'a',
    contexts: {a: {endpoints: [], nodes: ['10.0.0.5'], ca: 'A', crt: 'C', key: 'K', cluster: 'c', 'x-future': 1}, b: {endpoints: []}},
  });

  // Overwriting keeps 0600 even if the old file was wider.
  fs.chmodSync(file, 0o644);
  writeTalosconfig(file, {contexts: {}});
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(fs.readdirSync(dir), ['config']);
});

test('writing: a failed write leaves nothing behind and says why', () => {
  const dir = tempDir();
  const file = path.join(dir, 'config');
  fs.mkdirSync(file); // a directory where the file should go makes the final rename fail
  assert.throws(() => writeTalosconfig(file, {contexts: {}}), (error) => {
    assert.ok(error instanceof TalosConfigError);
    assert.ok(error.message.startsWith(`cannot write talosconfig "${file}"`), error.message);
    return true;
  });
  assert.deepEqual(fs.readdirSync(dir), ['config']);
  assert.ok(fs.statSync(file).isDirectory());
});

test('writing through a symlinked config updates the link target', () => {
  const dir = tempDir();
  const target = path.join(dir, 'dotfiles-config');
  const link = path.join(dir, 'config');
  fs.writeFileSync(target, 'contexts: {}\n');
  fs.symlinkSync(target, link);
  writeTalosconfig(link, {context: 'a', contexts: {a: {}}});
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.equal(readTalosconfig(target).context, 'a');
});
