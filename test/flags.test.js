// Repeated flags, as talosctl (pflag) reads them: a scalar flag's last value wins, in every
// spelling (`--x v`, `--x=v`, `-x v`, `-xv`, `-x=v`), on the start-up fast path and through
// oclif alike; repeatable flags accumulate. No agents needed: `config info` reads only files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as yaml from 'js-yaml';
import {hoistGlobalFlags, lastValueWins} from '../dist/cli/argv.js';
import {fastInvocation} from '../dist/cli/fast-path.js';
import {generateCA, issueClientCert} from '../dist/machinery/pki.js';
import {makeHome, osctl, root} from './helpers/cli.js';

const DAY_MS = 24 * 3600 * 1000;

const DEFS = [
  {name: 'talosconfig', type: 'option'},
  {name: 'output', type: 'option', char: 'o'},
  {name: 'nodes', type: 'option', char: 'n', multiple: true},
  {name: 'watch', type: 'boolean', char: 'w'},
  {name: 'yes', type: 'boolean', char: 'y', aliases: ['noconfirm']},
];

describe('lastValueWins', () => {
  const dedupe = (...argv) => lastValueWins(argv, DEFS);
  it('keeps only the last occurrence of a scalar flag, whatever its spelling', () => {
    assert.deepEqual(dedupe('--talosconfig', 'a', 'x', '--talosconfig', 'b'), ['x', '--talosconfig', 'b']);
    assert.deepEqual(dedupe('--talosconfig=a', '--talosconfig', 'b'), ['--talosconfig', 'b']);
    assert.deepEqual(dedupe('--talosconfig', 'a', '--talosconfig=b'), ['--talosconfig=b']);
    assert.deepEqual(dedupe('-o', 'json', '-oyaml'), ['-oyaml']);
    assert.deepEqual(dedupe('-o=json', '--output', 'yaml'), ['--output', 'yaml']);
    assert.deepEqual(dedupe('-oyaml', '-o=json'), ['-o=json']);
    assert.deepEqual(dedupe('-w', 'x', '--watch'), ['x', '--watch']);
    assert.deepEqual(dedupe('-y', '--noconfirm'), ['--noconfirm']);
  });
  it('keeps every occurrence of a repeatable flag, and arguments that look like flag values', () => {
    assert.deepEqual(dedupe('-n', 'a', '--nodes=b', '-nc'), ['-n', 'a', '--nodes=b', '-nc']);
    assert.deepEqual(dedupe('-o', '-o', 'x'), ['-o', '-o', 'x'], '"-o" as the value of -o, then an argument');
    assert.deepEqual(dedupe('-o', 'a', '--', '-o', 'b'), ['-o', 'a', '--', '-o', 'b'], 'nothing after -- is a flag');
  });
  it('leaves what it does not know alone', () => {
    assert.deepEqual(dedupe('--bogus', 'a', '--bogus', 'b', '--help'), ['--bogus', 'a', '--bogus', 'b', '--help']);
  });
});

describe('hoistGlobalFlags keeps the order of repeated flags', () => {
  it('puts global flags typed before the command ahead of the flags typed after it', () => {
    assert.deepEqual(
      hoistGlobalFlags(['--talosconfig', 'a', 'config', 'info', '--talosconfig', 'b']),
      ['config', 'info', '--talosconfig', 'a', '--talosconfig', 'b'],
    );
    assert.deepEqual(hoistGlobalFlags(['-n', 'x', 'get', 'members', '-o', 'json', '-n', 'y']), ['get', 'members', '-n', 'x', '-o', 'json', '-n', 'y']);
    assert.deepEqual(hoistGlobalFlags(['-n', 'a', '--help']), ['--help', '-n', 'a']);
  });
});

describe('fast path: last value wins', () => {
  const invoke = (...argv) => fastInvocation(hoistGlobalFlags(argv), root);
  it('in every spelling', () => {
    for (const argv of [
      ['config', 'info', '--talosconfig', 'a', '--talosconfig', 'b'],
      ['config', 'info', '--talosconfig=a', '--talosconfig', 'b'],
      ['--talosconfig', 'a', 'config', 'info', '--talosconfig=b'],
    ]) {
      assert.equal(invoke(...argv).flags.talosconfig, 'b', argv.join(' '));
    }
    for (const argv of [
      ['config', 'info', '-o', 'json', '-oyaml'],
      ['config', 'info', '-ojson', '-o=yaml'],
      ['config', 'info', '-o=json', '--output', 'yaml'],
      ['config', 'info', '--output=json', '-o', 'yaml'],
    ]) {
      assert.equal(invoke(...argv).flags.output, 'yaml', argv.join(' '));
    }
    assert.equal(invoke('version', '--client', '--client').flags.client, true);
    assert.deepEqual(invoke('get', 'members', '-n', 'a', '--nodes=b,c').flags.nodes, ['a', 'b', 'c']);
  });
});

describe('osctl with repeated flags, fast path and oclif', () => {
  const {home, env} = makeHome('osctl-flags-');
  const good = path.join(home, 'good.yaml');
  const missing = path.join(home, 'missing.yaml');
  const paths = [{name: 'fast path', env}, {name: 'oclif', env: {...env, OSCTL_NO_FAST_PATH: '1'}}];

  before(async () => {
    const ca = await generateCA({organization: 'talos', ttlMs: 365 * DAY_MS});
    const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: 100 * DAY_MS});
    const b64 = (pem) => Buffer.from(pem).toString('base64');
    const context = {endpoints: ['127.36.1.2'], nodes: ['127.36.1.2'], ca: b64(ca.crt), crt: b64(admin.crt), key: b64(admin.key)};
    fs.writeFileSync(good, yaml.dump({context: 'good', contexts: {good: context}}));
  });

  after(() => fs.rmSync(home, {recursive: true, force: true}));

  for (const {name, env: pathEnv} of paths) {
    it(`${name}: --talosconfig, repeated in each spelling, reads the last`, async () => {
      for (const args of [
        ['--talosconfig', missing, 'config', 'info', '--talosconfig', good],
        ['config', 'info', `--talosconfig=${missing}`, '--talosconfig', good],
        ['config', 'info', '--talosconfig', missing, `--talosconfig=${good}`],
      ]) {
        const r = await osctl(args, {env: pathEnv});
        assert.equal(r.code, 0, `${args.join(' ')}\n${r.stderr}`);
        assert.match(r.stdout, /^Current context: {5}good\n/);
      }
      const last = await osctl(['--talosconfig', good, 'config', 'info', '--talosconfig', missing], {env: pathEnv});
      assert.equal(last.code, 1, 'the last value wins even when it is the bad one');
      assert.match(last.stderr, /missing\.yaml/);
    });

    it(`${name}: -o, repeated in each spelling, reads the last`, async () => {
      for (const args of [
        ['config', 'info', '--talosconfig', good, '-o', 'yaml', '-ojson'],
        ['config', 'info', '--talosconfig', good, '-oyaml', '-o=json'],
        ['config', 'info', '--talosconfig', good, '-o=yaml', '--output', 'json'],
        ['config', 'info', '--talosconfig', good, '--output=yaml', '-o', 'json'],
      ]) {
        const r = await osctl(args, {env: pathEnv});
        assert.equal(r.code, 0, `${args.join(' ')}\n${r.stderr}`);
        assert.equal(JSON.parse(r.stdout).context, 'good', args.join(' '));
      }
    });
  }
});
