// Roles across a proxy hop, role validation in GenerateClientConfiguration, and osd refusing to
// start on unusable CA/serving material. Agents listen on 127.31.0.0/16 only.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import {createServer} from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as yaml from 'js-yaml';
import {createLogger} from '../dist/agent/log.js';
import {startNode} from '../dist/agent/node.js';
import {MachineServiceService} from '../dist/machinery/api/machine/machine.js';
import {StateService} from '../dist/machinery/api/v1alpha1/state.js';
import {newMachineConfig} from '../dist/machinery/machineconfig/index.js';
import {generateCA, issueClientCert, issueServerCert} from '../dist/machinery/pki.js';

process.noDeprecation = true; // DEP0123: grpc-js passes IP targets as the TLS server name.

const repo = path.resolve(import.meta.dirname, '..');
const osdJs = path.join(repo, 'bin', 'osd.js');
const DAY = 24 * 3600 * 1000;
const CLUSTER = 'auth-test';
const MACHINE_CONFIG = {namespace: 'config', type: 'MachineConfigs.config.talos.dev', id: 'v1alpha1'};
const CP = '127.31.0.1';
const WORKER = '127.31.0.2';
const LONE = '127.31.1.1';

const MachineClient = grpc.makeGenericClientConstructor(MachineServiceService, 'MachineService');
const StateClient = grpc.makeGenericClientConstructor(StateService, 'State');

/** A port free on every given loopback address (forwarding dials the agent's own port). */
async function freePort(addresses) {
  const listen = (port, address) =>
    new Promise((resolve) => {
      const server = createServer().listen(port, address, () => {
        const bound = server.address().port;
        server.close(() => resolve(bound));
      });
      server.on('error', () => resolve(undefined));
    });
  for (;;) {
    const port = await listen(0, addresses[0]);
    let free = port !== undefined;
    for (const address of addresses.slice(1)) free = free && (await listen(port, address)) !== undefined;
    if (free) return port;
  }
}

const b64 = (pem) => Buffer.from(pem).toString('base64');

/** A node's state dir as `osctl cluster create` lays it out; `change` may spoil parts of it. */
async function makeStateDir(root, {name, address, type, ca}) {
  const dir = path.join(root, name);
  for (const sub of ['etc', 'var/log', 'system/state', 'system/secrets']) fs.mkdirSync(path.join(dir, sub), {recursive: true});
  const config = newMachineConfig({
    type,
    clusterName: CLUSTER,
    controlPlaneEndpoint: 'https://127.31.0.1:6443',
    hostname: name,
    caCrtPem: ca.crt,
    caKeyPem: type === 'worker' ? undefined : ca.key,
    token: '3b9kzq.8vm2d5p1xq7ua0cf',
  });
  fs.writeFileSync(path.join(dir, 'system/state/config.yaml'), config.raw);
  const server = await issueServerCert(ca, {ips: [address], dnsNames: [name], commonName: name, ttlMs: DAY});
  const forwarding = await issueClientCert(ca, {roles: ['os:impersonator'], ttlMs: DAY});
  const secrets = path.join(dir, 'system/secrets');
  fs.writeFileSync(path.join(secrets, 'api.crt'), server.crt);
  fs.writeFileSync(path.join(secrets, 'api.key'), server.key);
  fs.writeFileSync(path.join(secrets, 'apid-client.crt'), forwarding.crt);
  fs.writeFileSync(path.join(secrets, 'apid-client.key'), forwarding.key);
  return dir;
}

const normalizeKey = (pem) => pem.replace(/(BEGIN|END) ED25519 PRIVATE KEY/g, '$1 PRIVATE KEY');

function metadataOf(entries = {}) {
  const metadata = new grpc.Metadata();
  for (const [key, values] of Object.entries(entries)) for (const value of [values].flat()) metadata.add(key, value);
  return metadata;
}

function unary(client, method, request, metadata) {
  return new Promise((resolve, reject) => {
    client[method](request, metadataOf(metadata), {deadline: Date.now() + 10_000}, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

const rejectsWith = (promise, code, details) =>
  assert.rejects(promise, (error) => {
    assert.equal(error.code, code, `code ${error.code} (${error.details})`);
    assert.match(error.details, details);
    return true;
  });

describe('roles across a proxy hop', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-auth-'));
  const discoveryDir = path.join(root, 'discovery');
  const nodes = [];
  const opened = [];
  const certs = {};
  let ca;
  let port;

  const client = (Client, who) => {
    const credentials = grpc.credentials.createSsl(Buffer.from(ca.crt), Buffer.from(normalizeKey(certs[who].key)), Buffer.from(certs[who].crt));
    const made = new Client(`${CP}:${port}`, credentials);
    opened.push(made);
    return made;
  };
  const state = (who) => client(StateClient, who);
  const machine = (who) => client(MachineClient, who);

  before(async () => {
    fs.mkdirSync(discoveryDir);
    ca = await generateCA({organization: 'talos', ttlMs: DAY});
    const issue = (roles) => issueClientCert(ca, {roles, ttlMs: DAY});
    certs.admin = await issue(['os:admin']);
    // What GenerateClientConfiguration issued before it checked role names.
    certs.smuggler = await issue(['os:reader', 'x,os:admin']);
    certs.impersonator = await issue(['os:impersonator']);
    certs.impersonatingAdmin = await issue(['os:impersonator', 'os:admin']);
    certs.impersonatingReader = await issue(['os:impersonator', 'os:reader']);
    port = await freePort([CP, WORKER]);
    const log = createLogger({file: path.join(root, 'test.log'), stderr: false});
    for (const [name, address, type] of [
      ['cp-1', CP, 'controlplane'],
      ['worker-1', WORKER, 'worker'],
    ]) {
      const stateDir = await makeStateDir(root, {name, address, type, ca});
      nodes.push(await startNode({stateDir, address, port, discoveryDir, log}));
    }
  });

  after(async () => {
    for (const made of opened) made.close();
    for (const node of nodes) await node.stop();
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
function runOsd(stateDir, {address = LONE, port, untilListening = false} = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [osdJs, '--state-dir', stateDir, '--address', address, '--port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const started = Date.now();
    child.stdout.on('data', (data) => {
      stdout += data;
      if (untilListening && stdout.includes('osd listening on')) process.kill(child.pid, 'SIGTERM');
    });
    child.stderr.on('data', (data) => (stderr += data));
    const timer = setTimeout(() => {
      process.kill(child.pid, 'SIGKILL');
      reject(new Error(`osd did not exit within 20 s\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 20_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({code: code ?? signal, stdout, stderr, ms: Date.now() - started});
    });
  });
}

describe('osd refuses to start on unusable certificates and keys', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-startup-'));
  let ca;
  let otherCA;
  let port;
  let count = 0;

  /** A fresh control plane state dir, spoiled by `spoil(dir, paths)`. */
  const stateDir = async (spoil) => {
    const dir = await makeStateDir(root, {name: `cp-${++count}`, address: LONE, type: 'controlplane', ca});
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
