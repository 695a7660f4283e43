// `osctl config ...` end to end on talosconfig files (no agents needed), plus the errors every
// command gives for a missing or broken talosconfig, through both the fast path and oclif.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as yaml from 'js-yaml';
import {generateCA, issueClientCert} from '../dist/machinery/pki.js';
import {makeHome, osctl} from './helpers/cli.js';

const DAY_MS = 24 * 3600 * 1000;

describe('osctl config', () => {
  const {home, env, talosconfig} = makeHome('osctl-config-');
  const file = (name) => path.join(home, name);

  before(async () => {
    const ca = await generateCA({organization: 'talos', ttlMs: 365 * DAY_MS});
    const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: 10 * DAY_MS});
    fs.writeFileSync(file('ca.crt'), ca.crt);
    fs.writeFileSync(file('admin.crt'), admin.crt);
    fs.writeFileSync(file('admin.key'), admin.key);
  });

  after(() => fs.rmSync(home, {recursive: true, force: true}));

  it('commands that need a context explain a missing talosconfig', async () => {
    const r = await osctl(['get', 'members'], {env});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /talosconfig ".*\.talos\/config" does not exist: create a cluster with `osctl cluster create`/);
  });

  it('add, context, endpoint, node and contexts edit and show the file', async () => {
    let r = await osctl(['config', 'add', 'lab', '--ca', file('ca.crt'), '--crt', file('admin.crt'), '--key', file('admin.key'), '-e', '10.0.0.1'], {env});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'success is silent on stderr');
    r = await osctl(['config', 'context', 'lab'], {env});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal((await osctl(['config', 'endpoint', '10.0.0.2', '10.0.0.3'], {env})).code, 0);
    assert.equal((await osctl(['config', 'nodes', '10.0.0.7,10.0.0.8'], {env})).code, 0);
    r = await osctl(['config', 'contexts'], {env});
    assert.equal(r.stdout, 'CURRENT   NAME   ENDPOINTS           NODES\n*         lab    10.0.0.2,10.0.0.3   10.0.0.7,10.0.0.8\n');
    const stat = fs.statSync(talosconfig);
    assert.equal(stat.mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(path.dirname(talosconfig)), ['config']);
  });

  it('info shows roles and warns before the certificate expires, the same through oclif', async () => {
    const fast = await osctl(['config', 'info', '-o', 'json'], {env});
    const viaOclif = await osctl(['config', 'info', '-o', 'json'], {env: {...env, OSCTL_NO_FAST_PATH: '1'}});
    assert.equal(fast.code, 0, fast.stderr);
    assert.equal(fast.stdout, viaOclif.stdout);
    const info = JSON.parse(fast.stdout);
    assert.deepEqual(Object.keys(info), ['context', 'nodes', 'endpoints', 'roles', 'certTTL', 'certNotAfter'], "talosctl's fields, in its order");
    assert.match(fast.stdout, /^\{\n {2}"context": "lab",\n/, 'indented by two spaces, as Go\'s json.Encoder');
    assert.deepEqual(info.roles, ['os:admin']);
    assert.deepEqual(info.endpoints, ['10.0.0.2', '10.0.0.3']);
    assert.equal(info.certTTL, '1 week from now', 'go-humanize: 7 to 14 days is one week');
    assert.match(info.certNotAfter, /^\d{4}-\d\d-\d\d$/);
    assert.match(fast.stderr, /WARNING: the client certificate of context "lab" expires on/);
  });

  it("info prints talosctl's text by default, its yaml, and refuses other formats", async () => {
    const text = await osctl(['config', 'info'], {env});
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^Current context: {5}lab\nNodes: {15}10\.0\.0\.7, 10\.0\.0\.8\nEndpoints: {11}10\.0\.0\.2, 10\.0\.0\.3\nRoles: {15}os:admin\nCertificate expires: 1 week from now \(\d{4}-\d\d-\d\d\)\n$/,
    );
    const yamlOut = await osctl(['config', 'info', '-o', 'yaml'], {env});
    assert.match(yamlOut.stdout, /^context: lab\nnodes:\n {4}- 10\.0\.0\.7\n {4}- 10\.0\.0\.8\nendpoints:\n/);
    assert.match(yamlOut.stdout, /\ncertNotAfter: "\d{4}-\d\d-\d\d"\n$/, 'a date-like string is quoted, as yaml.v3 does');
    for (const env2 of [env, {...env, OSCTL_NO_FAST_PATH: '1'}]) {
      const table = await osctl(['config', 'info', '-o', 'table'], {env: env2});
      assert.equal(table.code, 2);
      assert.match(table.stderr, /--output=table to be one of: text, yaml, json/);
    }
  });

  it('merge renames a clashing context and makes the merged one current', async () => {
    const other = yaml.load(fs.readFileSync(talosconfig, 'utf8'));
    fs.writeFileSync(file('other.yaml'), yaml.dump(other));
    const r = await osctl(['config', 'merge', file('other.yaml')], {env});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'renamed talosconfig context "lab" -> "lab-1"\n', "talosctl's notice, and nothing else");
    const merged = yaml.load(fs.readFileSync(talosconfig, 'utf8'));
    assert.deepEqual(Object.keys(merged.contexts).sort(), ['lab', 'lab-1']);
    assert.equal(merged.context, 'lab-1');
  });

  it('remove asks for confirmation, or takes --yes', async () => {
    let r = await osctl(['config', 'remove', 'lab'], {env});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /without confirmation: stdin is not a terminal/);
    assert.match(r.stderr, /--yes/);
    r = await osctl(['config', 'remove', 'lab', '--yes'], {env});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(Object.keys(yaml.load(fs.readFileSync(talosconfig, 'utf8')).contexts), ['lab-1']);
  });

  it('bad input fails with a message that says what to do', async () => {
    let r = await osctl(['config', 'context', 'nope'], {env});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /context "nope".*lab-1/);
    r = await osctl(['version', '--timeout', 'soon'], {env});
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--timeout: invalid duration "soon"/);
    r = await osctl(['get', 'members', '-o', 'bogus'], {env});
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bogus/);
    r = await osctl(['get', 'members', '--bogus-flag'], {env});
    assert.equal(r.code, 2);
    r = await osctl(['config', 'new', file('ca.crt')], {env});
    assert.match(r.stderr, /talosconfig file already exists/);
    r = await osctl(['config', 'new', file('x.yaml'), '--roles', 'os:root'], {env});
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown roles: os:root/);
  });

  it('an unreachable endpoint is named with the context and the talosconfig', async () => {
    const r = await osctl(['version', '-e', '127.20.250.9', '-n', '127.20.250.9', '--timeout', '3s'], {env});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /127\.20\.250\.9/);
    assert.match(r.stderr, /context "lab-1"/);
  });
});
