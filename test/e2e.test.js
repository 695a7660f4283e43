// End to end: the built CLI against a real local cluster of osd agents over mTLS on loopback.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as yaml from 'js-yaml';
import {clusterDescription, createCluster, discardCluster, isAlive, makeHome, osctl, osctlSpawn} from './helpers/cli.js';

const NAME = 'e2e';
const NET = '127.20.5';
const CP1 = `${NET}.2`;
const CP2 = `${NET}.3`;
const WORKER = `${NET}.4`;
const ALL = [CP1, CP2, WORKER];

/** Splits talosctl-style concatenated pretty JSON objects. */
function parseConcatenatedJson(text) {
  return text.split(/\n(?=\{)/).filter((s) => s.trim()).map((s) => JSON.parse(s));
}

describe('osctl against a local cluster', () => {
  const user = makeHome('osctl-e2e-');
  const {home, env, talosconfig} = user;

  before(() => createCluster(user, ['--name', NAME, '--cidr', `${NET}.0/24`, '--controlplanes', '2', '--workers', '1']));
  after(() => discardCluster(user, NAME));

  it('get members lists every node of the cluster with the print columns', async () => {
    const r = await osctl(['get', 'members'], {env});
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^NODE {3,}NAMESPACE {3,}TYPE {3,}ID {3,}VERSION {3,}HOSTNAME {3,}MACHINE TYPE {3,}OS {3,}ADDRESSES$/);
    assert.equal(lines.length, 4);
    for (const host of [`${NAME}-controlplane-1`, `${NAME}-controlplane-2`, `${NAME}-worker-1`]) {
      assert.ok(lines.some((l) => l.startsWith(CP1) && l.includes(` ${host} `)), `member ${host} missing:\n${r.stdout}`);
    }
    assert.ok(lines.some((l) => /worker/.test(l) && l.includes(WORKER)));
  });

  it('get rd shows resource definitions with their aliases', async () => {
    const r = await osctl(['get', 'rd'], {env});
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /machineconfigs\.config\.talos\.dev .*\bmc\b/);
    assert.match(r.stdout, /members\.cluster\.talos\.dev/);
  });

  it('get mc -o yaml returns the machine config to an admin', async () => {
    const r = await osctl(['get', 'mc', '-o', 'yaml'], {env});
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith(`node: ${CP1}\nmetadata:\n`), r.stdout.slice(0, 200));
    const doc = yaml.load(r.stdout);
    assert.equal(doc.metadata.type, 'MachineConfigs.config.talos.dev');
    assert.equal(doc.metadata.id, 'v1alpha1');
    assert.equal(typeof doc.spec, 'string');
    assert.equal(yaml.load(doc.spec).machine.type, 'controlplane');
  });

  it('-n before the command targets another node through the one endpoint', async () => {
    const r = await osctl(['-n', CP2, 'get', 'hostname'], {env});
    assert.equal(r.code, 0, r.stderr);
    const row = r.stdout.trimEnd().split('\n')[1];
    assert.match(row, new RegExp(`^${CP2.replaceAll('.', '\\.')} {3,}network {3,}HostnameStatus {3,}hostname {3,}\\d+ {3,}${NAME}-controlplane-2`));
  });

  it('--talosconfig and -e before the command work as in the seeds', async () => {
    const r = await osctl(['--talosconfig', talosconfig, '-e', CP2, 'get', 'members', '-n', WORKER], {env: {...env, HOME: '/nonexistent'}});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split('\n').length, 4);
  });

  it('version prints a Server entry per node', async () => {
    const r = await osctl(['version', '-n', ALL.join(',')], {env});
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Client:\n\tTag: +v\d/);
    for (const node of ALL) assert.ok(r.stdout.includes(`\tNODE:        ${node}\n`), r.stdout);
    assert.equal(r.stdout.match(/Enabled: +RBAC/g)?.length, 3);
  });

  it('-o json, ndjson and jsonpath print every member', async () => {
    const json = await osctl(['get', 'members', '-o', 'json'], {env});
    assert.equal(json.code, 0, json.stderr);
    const objects = parseConcatenatedJson(json.stdout);
    assert.equal(objects.length, 3);
    assert.deepEqual(Object.keys(objects[0]), ['metadata', 'node', 'spec']);
    const nd = await osctl(['get', 'members', '-o', 'ndjson', '-n', `${CP1},${WORKER}`], {env});
    const lines = nd.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 6);
    assert.deepEqual(new Set(lines.map((l) => JSON.parse(l).node)), new Set([CP1, WORKER]));
    const jp = await osctl(['get', 'members', '-o', 'jsonpath={.spec.hostname}'], {env});
    assert.deepEqual(jp.stdout.trimEnd().split('\n').sort(), [`${NAME}-controlplane-1`, `${NAME}-controlplane-2`, `${NAME}-worker-1`]);
  });

  it('an unknown type fails with a suggestion', async () => {
    const r = await osctl(['get', 'membr'], {env});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /resource "membr" is not registered/);
    assert.match(r.stderr, /did you mean .*"member"/);
  });

  it('an os:reader certificate can list members but not read the machine config', async () => {
    const readerConfig = path.join(home, 'reader.yaml');
    const created = await osctl(['config', 'new', readerConfig, '--roles', 'os:reader'], {env});
    assert.equal(created.code, 0, created.stderr);
    const info = await osctl(['--talosconfig', readerConfig, 'config', 'info', '-o', 'json'], {env});
    assert.deepEqual(JSON.parse(info.stdout).roles, ['os:reader']);
    const members = await osctl(['--talosconfig', readerConfig, '-n', CP1, 'get', 'members'], {env});
    assert.equal(members.code, 0, members.stderr);
    const mc = await osctl(['--talosconfig', readerConfig, '-n', CP1, 'get', 'mc'], {env});
    assert.equal(mc.code, 1);
    assert.match(mc.stderr, /not authorized/);
  });

  it('a client certificate from another CA is refused', async () => {
    const pki = await import('../dist/machinery/pki.js');
    const ca = await pki.generateCA({organization: 'talos', ttlMs: 3600_000});
    const admin = await pki.issueClientCert(ca, {roles: ['os:admin'], ttlMs: 3600_000});
    const clusterCa = yaml.load(fs.readFileSync(talosconfig, 'utf8')).contexts[NAME].ca;
    const b64 = (s) => Buffer.from(s).toString('base64');
    const foreign = path.join(home, 'foreign.yaml');
    fs.writeFileSync(foreign, yaml.dump({context: 'foreign', contexts: {foreign: {endpoints: [CP1], nodes: [CP1], ca: clusterCa, crt: b64(admin.crt), key: b64(admin.key)}}}));
    const r = await osctl(['--talosconfig', foreign, 'version'], {env});
    assert.equal(r.code, 1);
    assert.match(r.stdout, /\nServer:\n$/, 'talosctl prints the Server line before asking, and no node entry follows');
    assert.match(r.stderr, /foreign/);
  });

  it('get -w streams events into a pipe and stops on the first Ctrl-C', async () => {
    const child = osctlSpawn(['get', 'members', '-w', '-o', 'ndjson'], {env});
    let out = '';
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no watch output: ${out}`)), 20_000);
      child.stdout.on('data', (d) => {
        out += d;
        if (out.split('\n').length > 3) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const events = out.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.ok(events.every((e) => e.event === 'created'));
    const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 130);
  });

  it('with one agent dead, version reports the healthy nodes, names the dead one and exits 3', async () => {
    const worker = clusterDescription(home, NAME).nodes.find((n) => n.address === WORKER);
    process.kill(worker.pid, 'SIGKILL');
    while (isAlive(worker.pid)) await new Promise((r) => setTimeout(r, 50));
    const r = await osctl(['version', '-n', ALL.join(','), '--timeout', '5s'], {env});
    assert.equal(r.code, 3, r.stderr);
    assert.ok(r.stdout.includes(`NODE:        ${CP1}`) && r.stdout.includes(`NODE:        ${CP2}`));
    assert.ok(!r.stdout.includes(`NODE:        ${WORKER}`));
    assert.match(r.stderr, new RegExp(`error from node ${WORKER.replaceAll('.', '\\.')}: `));
  });
});
