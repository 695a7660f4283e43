// Extension service definitions read from a state dir, run by the supervisor: environment order,
// the path and configuration dependencies, paths kept inside the state root and the rootfs.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, describe, it} from 'node:test';
import {ServiceLogs} from '../dist/agent/logs/service-logs.js';
import {loadExtensionServices, resolveEntrypoint} from '../dist/agent/system/extension-services.js';
import {Supervisor} from '../dist/agent/system/supervisor.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-ext-'));
after(() => fs.rmSync(root, {recursive: true, force: true}));

function stateDir(name, services) {
  const dir = path.join(root, name);
  for (const [file, yaml, scripts = {}] of services) {
    fs.mkdirSync(path.join(dir, 'usr/local/etc/containers'), {recursive: true});
    fs.writeFileSync(path.join(dir, 'usr/local/etc/containers', file), yaml);
    for (const [script, body] of Object.entries(scripts)) {
      const target = path.join(dir, 'usr/local/lib/containers', script);
      fs.mkdirSync(path.dirname(target), {recursive: true});
      fs.writeFileSync(target, body, {mode: 0o755});
    }
  }
  return dir;
}

async function until(predicate, what, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function logText(logs, id) {
  const chunks = [];
  for await (const chunk of logs.read(id, {tailLines: -1, follow: false, signal: new AbortController().signal})) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

const noConfig = {documents: []};

describe('extension services', () => {
  it('environment: file, then container.environment, then the ExtensionServiceConfig', async () => {
    const dir = stateDir('env', [
      [
        'env.yaml',
        'name: env\ncontainer:\n  entrypoint: ./show\n  environment: ["B=container", "C=container"]\n  environmentFile: /etc/env/../env/vars\nrestart: never\n',
        {'env/show': '#!/bin/sh\necho "A=$A B=$B C=$C D=$D HOME=${HOME:-unset}"\n'},
      ],
    ]);
    fs.mkdirSync(path.join(dir, 'etc/env'), {recursive: true});
    fs.writeFileSync(path.join(dir, 'etc/env/vars'), '# comment\nexport A="file"\nB=file\n\n');
    const logs = new ServiceLogs();
    const config = {documents: [{apiVersion: 'v1alpha1', kind: 'ExtensionServiceConfig', name: 'env', environment: ['C=config', 'D=config']}]};
    const [definition] = await loadExtensionServices({stateRoot: dir, serviceLogs: logs, warn: assert.fail, machineConfig: () => config});
    const supervisor = new Supervisor();
    supervisor.register(definition);
    supervisor.startAll();
    await until(() => supervisor.get('ext-env').state === 'Finished', 'finished');
    assert.equal(await logText(logs, 'ext-env'), 'A=file B=container C=config D=config HOME=unset\n');
    assert.equal(supervisor.get('ext-env').events[1].message, 'Waiting for file "/etc/env/../env/vars" to exist');
  });

  it('refuses an environment file or a definition that is a FIFO, a device or too big, without hanging', async () => {
    const dir = stateDir('hostile-env', [
      ['fifo.yaml', 'name: fifo\ncontainer:\n  entrypoint: ./run\n  environmentFile: /etc/fifo\nrestart: never\n', {'fifo/run': '#!/bin/sh\nexit 0\n'}],
      ['big.yaml', 'name: big\ncontainer:\n  entrypoint: ./run\n  environmentFile: /etc/big\nrestart: never\n', {'big/run': '#!/bin/sh\nexit 0\n'}],
    ]);
    fs.mkdirSync(path.join(dir, 'etc'), {recursive: true});
    execFileSync('mkfifo', [path.join(dir, 'etc/fifo'), path.join(dir, 'usr/local/etc/containers/pipe.yaml')]);
    fs.writeFileSync(path.join(dir, 'etc/big'), 'A=1\n'.repeat(300_000));
    fs.symlinkSync('/dev/zero', path.join(dir, 'usr/local/etc/containers/zero.yaml'));
    const warnings = [];
    const definitions = await loadExtensionServices({stateRoot: dir, serviceLogs: new ServiceLogs(), warn: (w) => warnings.push(w.replace(dir, '<state>')), machineConfig: () => noConfig});
    assert.deepEqual(warnings, [
      'extension service file <state>/usr/local/etc/containers/pipe.yaml skipped: not a regular file',
      'extension service file <state>/usr/local/etc/containers/zero.yaml skipped: not a regular file',
    ]);
    const supervisor = new Supervisor();
    for (const definition of definitions) supervisor.register(definition);
    supervisor.startAll();
    await until(() => ['ext-fifo', 'ext-big'].every((id) => supervisor.get(id).state === 'Failed'), 'both failed', 4000);
    assert.equal(
      supervisor.get('ext-fifo').events.at(-1).message,
      'Failed to run pre stage: failed to parse environment file "/etc/fifo": not a regular file',
    );
    assert.equal(
      supervisor.get('ext-big').events.at(-1).message,
      'Failed to run pre stage: failed to parse environment file "/etc/big": 1200000 bytes, more than the 1048576 an environment file may have',
    );
    await supervisor.shutdown();
  });

  it('reports at most 10 unknown keys of a file one by one, then how many more', async () => {
    const keys = Array.from({length: 5000}, (_, index) => `k${index}: ${index}`).join('\n');
    const dir = stateDir('many-keys', [['many.yaml', `name: many\ncontainer:\n  entrypoint: ./run\nrestart: never\n${keys}\n`, {'many/run': '#!/bin/sh\nexit 0\n'}]]);
    const warnings = [];
    const definitions = await loadExtensionServices({stateRoot: dir, serviceLogs: new ServiceLogs(), warn: (w) => warnings.push(w.replace(dir, '<state>')), machineConfig: () => noConfig});
    assert.deepEqual(definitions.map((definition) => definition.id), ['ext-many']);
    assert.equal(warnings.length, 11);
    assert.equal(warnings[0], 'extension service file <state>/usr/local/etc/containers/many.yaml: unknown key "k0" ignored');
    assert.equal(warnings[10], 'extension service file <state>/usr/local/etc/containers/many.yaml: 4990 more unknown keys ignored');
  });

  it('waits for a path inside the state root and for the configuration', async () => {
    const dir = stateDir('deps', [
      ['deps.yaml', 'name: deps\ncontainer:\n  entrypoint: ./run\ndepends:\n  - path: /../../../ready\n  - configuration: true\n  - time: true\nrestart: never\n', {'deps/run': '#!/bin/sh\nexit 0\n'}],
    ]);
    let config = noConfig;
    const warnings = [];
    const [definition] = await loadExtensionServices({stateRoot: dir, serviceLogs: new ServiceLogs(), warn: (w) => warnings.push(w), machineConfig: () => config});
    assert.deepEqual(warnings, []);
    const supervisor = new Supervisor({waitDescriptionIntervalMs: 50});
    supervisor.register(definition);
    supervisor.startAll();
    await until(() => supervisor.get('ext-deps').state === 'Waiting', 'waiting');
    assert.equal(supervisor.get('ext-deps').events[1].message, 'Waiting for file "/../../../ready" to exist, extension service config "deps", time sync');
    // `..` does not leave the state root: the file is <state>/ready.
    fs.writeFileSync(path.join(dir, 'ready'), '');
    await until(() => supervisor.get('ext-deps').events.at(-1).message === 'Waiting for extension service config "deps"', 'the path to be seen', 4000);
    config = {documents: [{apiVersion: 'v1alpha1', kind: 'ExtensionServiceConfig', name: 'deps', environment: ['X=1']}]};
    await until(() => supervisor.get('ext-deps').state === 'Finished', 'finished', 4000);
  });

  it('resolves the entrypoint inside the rootfs only', async () => {
    const rootfs = path.join(root, 'rootfs');
    fs.mkdirSync(path.join(rootfs, 'bin'), {recursive: true});
    fs.writeFileSync(path.join(rootfs, 'bin/app'), '#!/bin/sh\n', {mode: 0o755});
    fs.writeFileSync(path.join(rootfs, 'data'), 'x', {mode: 0o644});
    fs.symlinkSync('bin/app', path.join(rootfs, 'inside'));
    fs.symlinkSync('/bin/sh', path.join(rootfs, 'outside'));
    fs.symlinkSync('..', path.join(rootfs, 'up'));
    const real = fs.realpathSync(rootfs);
    assert.equal(await resolveEntrypoint(rootfs, './bin/app'), path.join(real, 'bin/app'));
    assert.equal(await resolveEntrypoint(rootfs, '/bin/app'), path.join(real, 'bin/app'));
    assert.equal(await resolveEntrypoint(rootfs, 'inside'), path.join(real, 'bin/app'));
    await assert.rejects(resolveEntrypoint(rootfs, './outside'), /resolves to \/.*, outside the service rootfs/);
    fs.writeFileSync(path.join(root, 'next-to-rootfs'), '#!/bin/sh\n', {mode: 0o755});
    await assert.rejects(resolveEntrypoint(rootfs, '../next-to-rootfs'), /is outside the service rootfs/);
    await assert.rejects(resolveEntrypoint(rootfs, '.'), /is outside the service rootfs/);
    await assert.rejects(resolveEntrypoint(rootfs, 'up/next-to-rootfs'), /resolves to \/.*next-to-rootfs, outside the service rootfs/);
    await assert.rejects(resolveEntrypoint(rootfs, './data'), /is not executable/);
    await assert.rejects(resolveEntrypoint(rootfs, './missing'), /not found in/);
    await assert.rejects(resolveEntrypoint(path.join(root, 'nope'), './x'), /service rootfs .* is missing/);
    // A rootfs that is itself a symlink to elsewhere (here /bin) is refused; one to a sibling is fine.
    fs.symlinkSync('/bin', path.join(root, 'host-bin'));
    await assert.rejects(resolveEntrypoint(path.join(root, 'host-bin'), './sh'), /service rootfs .*host-bin resolves to \/.*bin, outside /);
    fs.symlinkSync('rootfs', path.join(root, 'alias'));
    assert.equal(await resolveEntrypoint(path.join(root, 'alias'), './bin/app'), path.join(real, 'bin/app'));
  });

  it('decodes non-strictly and reports every validation problem, never throwing', async () => {
    const dir = stateDir('invalid', [
      ['a.yaml', 'name: ok\ncontainer:\n  entrypoint: ./x\n  extra: 1\nrestart: sometimes\n'],
      ['b.yaml', 'name: ok2\ncontainer:\n  entrypoint: ./x\ndepends:\n  - network: [addresses, wifi]\n  - service: a\n    path: /x\nrestart: untilSuccess\n'],
      ['c.yaml', '- not\n- a map\n'],
      ['d.yaml', 'name: [unterminated\n'],
      ['e.yaml', 'name: fine\ncontainer:\n  entrypoint: ./x\n  args: oops\nrestart: always\n'],
      ['f.yaml', 'name: good\ncontainer:\n  entrypoint: ./x\ndepends:\n  - service: ext-ok2\nrestart: untilSuccess\n'],
    ]);
    const warnings = [];
    const definitions = await loadExtensionServices({stateRoot: dir, serviceLogs: new ServiceLogs(), warn: (w) => warnings.push(w.replace(dir, '<state>')), machineConfig: () => noConfig});
    assert.deepEqual(definitions.map((definition) => [definition.id, definition.restart, definition.dependsOn]), [['ext-good', 'untilSuccess', ['ext-ok2']]]);
    assert.deepEqual(warnings.slice(0, 3), [
      'extension service file <state>/usr/local/etc/containers/a.yaml: unknown key "container.extra" ignored',
      'extension service file <state>/usr/local/etc/containers/a.yaml skipped: sometimes does not belong to RestartKind values',
      'extension service file <state>/usr/local/etc/containers/b.yaml skipped: invalid network dependency: wifi; more than a single dependency is set',
    ]);
    assert.equal(warnings[3], 'extension service file <state>/usr/local/etc/containers/c.yaml skipped: the document must be a mapping');
    assert.match(warnings[4], /d\.yaml skipped: .+/);
    assert.equal(warnings[5], 'extension service file <state>/usr/local/etc/containers/e.yaml skipped: container.args: expected a list of strings');
    assert.equal(warnings.length, 6);
    assert.deepEqual(await loadExtensionServices({stateRoot: path.join(root, 'none'), serviceLogs: new ServiceLogs(), warn: assert.fail, machineConfig: () => noConfig}), []);
  });
});
