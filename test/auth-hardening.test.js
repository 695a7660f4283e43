// Roles across a proxy hop, role validation in GenerateClientConfiguration, and osd refusing to
// start on unusable CA/serving material. Agents listen on 127.31.0.0/16 only.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as yaml from 'js-yaml';
import {generateCA, issueClientCert} from '../dist/machinery/pki.js';
import {DAY, freePort, MachineClient, makeStateDir, osdProcess, rejectsWith, startAgents, StateClient, unary} from './helpers/agents.js';

process.noDeprecation = true; // DEP0123: grpc-js passes IP targets as the TLS server name.

const CLUSTER = 'auth-test';
const CONTROL_PLANE_ENDPOINT = 'https://127.31.0.1:6443';
const MACHINE_CONFIG = {namespace: 'config', type: 'MachineConfigs.config.talos.dev', id: 'v1alpha1'};
const CP = '127.31.0.1';
const WORKER = '127.31.0.2';
const LONE = '127.31.1.1';

const b64 = (pem) => Buffer.from(pem).toString('base64');

describe('roles across a proxy hop', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-auth-'));
  const certs = {};
  let cluster;

  const client = (Client, who) => cluster.connect(Client, certs[who]);
  const state = (who) => client(StateClient, who);
  const machine = (who) => client(MachineClient, who);

  before(async () => {
    cluster = await startAgents(
      root,
      [
        ['cp-1', CP, 'controlplane'],
        ['worker-1', WORKER, 'worker'],
      ],
      {cluster: CLUSTER, controlPlaneEndpoint: CONTROL_PLANE_ENDPOINT},
    );
    const {ca} = cluster;
    const issue = (roles) => issueClientCert(ca, {roles, ttlMs: DAY});
    certs.admin = await issue(['os:admin']);
    // What GenerateClientConfiguration issued before it checked role names.
    certs.smuggler = await issue(['os:reader', 'x,os:admin']);
    certs.impersonator = await issue(['os:impersonator']);
    certs.impersonatingAdmin = await issue(['os:impersonator', 'os:admin']);
    certs.impersonatingReader = await issue(['os:impersonator', 'os:reader']);
  });

  after(async () => {
    await cluster?.stop();
    fs.rmSync(root, {recursive: true, force: true});
  });

  it('keeps a role value with a comma one unknown role, directly and forwarded', async () => {
    await rejectsWith(unary(state('smuggler'), 'get', MACHINE_CONFIG), grpc.status.PERMISSION_DENIED, /^not authorized$/);
    // Forwarded, the roles used to travel as two talos-role values that HTTP/2 folds into
    // "os:reader, x,os:admin", which the target split into three roles, os:admin among them.
    await rejectsWith(unary(state('smuggler'), 'get', MACHINE_CONFIG, {node: WORKER}), grpc.status.PERMISSION_DENIED, /^not authorized$/);
    // The caller's valid role still reaches the target.
    assert.equal((await unary(machine('smuggler'), 'hostname', {}, {node: WORKER})).messages[0].hostname, 'worker-1');
    const {resource} = await unary(state('admin'), 'get', MACHINE_CONFIG, {node: WORKER});
    assert.match(yaml.load(resource.spec.yamlSpec), /type: worker/);
  });

  it('reads talos-role values from an impersonator exactly as sent', async () => {
    // As a forwarder that passes roles through unchecked (Talos's apid) would send them.
    const roles = {'talos-role': ['os:reader', 'x,os:admin']};
    await rejectsWith(unary(state('impersonator'), 'get', MACHINE_CONFIG, roles), grpc.status.PERMISSION_DENIED, /^not authorized$/);
    assert.equal((await unary(machine('impersonator'), 'hostname', {}, roles)).messages[0].hostname, 'cp-1');
    // Stated roles replace the certificate's, as in Talos.
    const {resource} = await unary(state('impersonatingReader'), 'get', MACHINE_CONFIG, {'talos-role': 'os:admin'});
    assert.equal(resource.metadata.id, 'v1alpha1');
    await rejectsWith(unary(state('impersonatingAdmin'), 'get', MACHINE_CONFIG, {'talos-role': 'os:reader'}), grpc.status.PERMISSION_DENIED, /^not authorized$/);
  });

  it('gives an impersonator that sends no talos-role its certificate roles', async () => {
    const {resource} = await unary(state('impersonatingAdmin'), 'get', MACHINE_CONFIG);
    assert.equal(resource.metadata.id, 'v1alpha1');
    assert.equal((await unary(machine('impersonatingReader'), 'hostname', {})).messages[0].hostname, 'cp-1');
    await rejectsWith(unary(state('impersonatingReader'), 'get', MACHINE_CONFIG), grpc.status.PERMISSION_DENIED, /^not authorized$/);
    // os:impersonator alone grants nothing.
    await rejectsWith(unary(machine('impersonator'), 'hostname', {}), grpc.status.PERMISSION_DENIED, /^not authorized$/);
  });

  it('refuses to issue certificates with role values that are not role names', async () => {
    const ttl = {seconds: 60n, nanos: 0};
    await rejectsWith(
      unary(machine('admin'), 'generateClientConfiguration', {roles: ['os:reader', 'x,os:admin'], crtTtl: ttl}),
      grpc.status.INVALID_ARGUMENT,
      /^unknown role "x,os:admin": valid roles are os:admin, os:etcd:backup, os:image:verifier, os:impersonator, os:meta:writer, os:operator, os:reader$/,
    );
    await rejectsWith(
      unary(machine('admin'), 'generateClientConfiguration', {roles: ['admin', 'os:Reader'], crtTtl: ttl}),
      grpc.status.INVALID_ARGUMENT,
      /^unknown roles "admin", "os:Reader": valid roles are /,
    );
    // Spaces around a role and empty values are tolerated, as Talos reads them.
    const issued = await unary(machine('admin'), 'generateClientConfiguration', {roles: [' os:operator ', ''], crtTtl: ttl});
    assert.equal(yaml.load(new TextDecoder().decode(issued.messages[0].talosconfig)).context, `operator@${CLUSTER}`);
  });
});

/** Runs bin/osd.js to its exit (stopping it by PID if it keeps running); resolves with code and stderr. */
async function runOsd(stateDir, {address = LONE, port, untilListening = false} = {}) {
  const started = Date.now();
  const {child, output, exited} = osdProcess(['--state-dir', stateDir, '--address', address, '--port', String(port)]);
  if (untilListening) child.stdout.on('data', () => output.stdout.includes('osd listening on') && process.kill(child.pid, 'SIGTERM'));
  let timer;
  const timedOut = new Promise((resolve, reject) => {
    timer = setTimeout(() => {
      process.kill(child.pid, 'SIGKILL');
      reject(new Error(`osd did not exit within 20 s\nstdout: ${output.stdout}\nstderr: ${output.stderr}`));
    }, 20_000);
  });
  const code = await Promise.race([exited, timedOut]).finally(() => clearTimeout(timer));
  return {code, ...output, ms: Date.now() - started};
}

describe('osd refuses to start on unusable certificates and keys', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-startup-'));
  let ca;
  let otherCA;
  let port;
  let count = 0;

  /** A fresh control plane state dir, spoiled by `spoil(dir, paths)`. */
  const stateDir = async (spoil) => {
    const dir = await makeStateDir(root, {name: `cp-${++count}`, address: LONE, type: 'controlplane', ca, cluster: CLUSTER, controlPlaneEndpoint: CONTROL_PLANE_ENDPOINT});
    const paths = {
      config: path.join(dir, 'system/state/config.yaml'),
      apiCrt: path.join(dir, 'system/secrets/api.crt'),
      apiKey: path.join(dir, 'system/secrets/api.key'),
      clientKey: path.join(dir, 'system/secrets/apid-client.key'),
    };
    await spoil?.(paths);
    return {dir, paths};
  };
  const editConfig = (file, edit) => {
    const documents = yaml.loadAll(fs.readFileSync(file, 'utf8'));
    edit(documents[0]);
    fs.writeFileSync(file, documents.map((document) => yaml.dump(document)).join('---\n'));
  };
  const refused = async (spoil, message) => {
    const {dir, paths} = await stateDir(spoil);
    const result = await runOsd(dir, {port});
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, typeof message === 'function' ? message(paths) : message);
    assert.doesNotMatch(result.stderr, /cannot listen on/);
    return result;
  };
  const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  before(async () => {
    ca = await generateCA({organization: 'talos', ttlMs: DAY});
    otherCA = await generateCA({organization: 'talos', ttlMs: DAY});
    port = await freePort([LONE]);
  });

  after(() => fs.rmSync(root, {recursive: true, force: true}));

  it('starts on an unspoiled state dir (the control for the cases below)', async () => {
    const {dir} = await stateDir();
    const result = await runOsd(dir, {port, untilListening: true});
    assert.match(result.stdout, /osd listening on 127\.31\.1\.1:/);
    assert.equal(result.code, 0, result.stderr);
  });

  it('names machine.ca.crt when it is not a certificate', async () => {
    await refused(
      (paths) => editConfig(paths.config, (config) => (config.machine.ca.crt = b64('not a certificate\n'))),
      (paths) => new RegExp(`invalid machine config ${escape(paths.config)}: machine\\.ca\\.crt: not a PEM certificate`),
    );
    await refused(
      (paths) => editConfig(paths.config, (config) => (config.machine.ca.crt = b64('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'))),
      /machine\.ca\.crt: not a PEM certificate \(its CERTIFICATE block is damaged/,
    );
  });

  it('names machine.ca.key when it is not a key or not the CA certificate\'s', async () => {
    await refused(
      (paths) => editConfig(paths.config, (config) => (config.machine.ca.key = b64('garbage'))),
      /machine\.ca\.key: not a PEM private key/,
    );
    await refused(
      (paths) => editConfig(paths.config, (config) => (config.machine.ca.key = b64(otherCA.key))),
      /machine\.ca\.key: this private key does not belong to machine\.ca\.crt/,
    );
  });

  it('names an accepted CA that is not a certificate', async () => {
    await refused(
      (paths) => editConfig(paths.config, (config) => (config.machine.acceptedCAs = [{crt: b64(otherCA.crt)}, {crt: b64('junk')}])),
      /machine\.acceptedCAs\[1\]\.crt: not a PEM certificate/,
    );
  });

  it('names api.crt and api.key instead of failing to listen', async () => {
    await refused(
      (paths) => fs.writeFileSync(paths.apiCrt, 'garbage\n'),
      (paths) => new RegExp(`${escape(paths.apiCrt)}: not a PEM certificate`),
    );
    await refused(
      (paths) => fs.writeFileSync(paths.apiKey, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
      (paths) => new RegExp(`${escape(paths.apiKey)}: not a PEM private key`),
    );
    await refused(
      (paths) => fs.copyFileSync(paths.clientKey, paths.apiKey),
      (paths) => new RegExp(`${escape(paths.apiKey)}: this private key does not belong to the certificate ${escape(paths.apiCrt)}`),
    );
  });

  it('refuses a machine config alias bomb at once', async () => {
    const levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i < 9; i++) levels.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const result = await refused(
      (paths) => fs.writeFileSync(paths.config, `version: v1alpha1\nmachine:\n  type: controlplane\n  bomb:\n${levels.map((line) => `    ${line}`).join('\n')}\n`),
      /invalid machine config .*config\.yaml: decode error: yaml: line \d+: document contains excessive aliasing/,
    );
    assert.ok(result.ms < 5000, `osd took ${result.ms} ms to refuse the bomb`);
  });
});
