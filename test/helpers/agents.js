// osd agents for gRPC tests, in-process or as bin/osd.js processes: state dirs laid out as
// `osctl cluster create` prepares them, a port free on every address the test uses, client
// certificates and mTLS clients, and the small waits gRPC tests share.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {createPrivateKey, webcrypto} from 'node:crypto';
import * as fs from 'node:fs';
import {createServer} from 'node:net';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import {createLogger} from '../../dist/agent/log.js';
import {startNode} from '../../dist/agent/node.js';
import {MachineServiceService} from '../../dist/machinery/api/machine/machine.js';
import {StateService} from '../../dist/machinery/api/v1alpha1/state.js';
import {newMachineConfig} from '../../dist/machinery/machineconfig/index.js';
import {generateCA, issueClientCert, issueServerCert} from '../../dist/machinery/pki.js';
import {root as repo} from './cli.js';

export const DAY = 24 * 3600 * 1000;

export const MachineClient = grpc.makeGenericClientConstructor(MachineServiceService, 'MachineService');
export const StateClient = grpc.makeGenericClientConstructor(StateService, 'State');

/** A port free on all `addresses` (agents of one cluster share the port: forwarding dials the agent's own). */
export async function freePort(addresses) {
  for (;;) {
    const port = await listenOnce(addresses[0], 0);
    let free = true;
    for (const address of addresses.slice(1)) free &&= (await listenOnce(address, port).catch(() => undefined)) === port;
    if (free) return port;
  }
}

function listenOnce(address, port) {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(port, address, () => {
      const bound = server.address().port;
      server.close(() => resolve(bound));
    });
    server.on('error', reject);
  });
}

/** A node's state dir: machine config, server certificate for `address`, forwarding client certificate. */
export async function makeStateDir(root, {name, address, type, ca, cluster, controlPlaneEndpoint = 'https://127.0.0.1:6443'}) {
  const dir = path.join(root, name);
  for (const sub of ['etc', 'var/log', 'system/state', 'system/secrets']) fs.mkdirSync(path.join(dir, sub), {recursive: true});
  const config = newMachineConfig({
    type,
    clusterName: cluster,
    controlPlaneEndpoint,
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
  fs.writeFileSync(path.join(secrets, 'api.key'), server.key); // keeps the ED25519 PRIVATE KEY label
  fs.writeFileSync(path.join(secrets, 'apid-client.crt'), forwarding.crt);
  fs.writeFileSync(path.join(secrets, 'apid-client.key'), forwarding.key);
  return dir;
}

/**
 * In-process agents sharing a new CA, a port and a discovery dir under `root`; `nodes` are
 * [name, address, type]. `alsoFreeOn`: more addresses the port must be free on (the test's own
 * servers). `connect` opens an mTLS client (to the first node by default); `stop` closes those
 * clients and stops the agents.
 */
export async function startAgents(root, nodes, {cluster, controlPlaneEndpoint, alsoFreeOn = []}) {
  const discoveryDir = path.join(root, 'discovery');
  fs.mkdirSync(discoveryDir, {recursive: true});
  const ca = await generateCA({organization: 'talos', ttlMs: DAY});
  const port = await freePort([...nodes.map(([, address]) => address), ...alsoFreeOn]);
  const log = createLogger({file: path.join(root, 'test.log'), stderr: false});
  const agents = [];
  const opened = [];
  const started = {ca, port, discoveryDir, log, agents};
  started.connect = (Client, cert, address = nodes[0][1]) => {
    const client = new Client(`${address}:${port}`, clientCredentials(ca, cert));
    opened.push(client);
    return client;
  };
  started.stop = async () => {
    for (const client of opened) client.close();
    for (const agent of agents) await agent.stop();
  };
  try {
    for (const [name, address, type] of nodes) {
      const stateDir = await makeStateDir(root, {name, address, type, ca, cluster, controlPlaneEndpoint});
      agents.push(await startNode({stateDir, address, port, discoveryDir, log}));
    }
  } catch (error) {
    await started.stop();
    throw error;
  }
  return started;
}

/** Starts bin/osd.js; `exited` resolves with its exit code (or signal) once its output is complete. */
export function osdProcess(args) {
  const child = spawn(process.execPath, [path.join(repo, 'bin', 'osd.js'), ...args], {stdio: ['ignore', 'pipe', 'pipe']});
  const output = {stdout: '', stderr: ''};
  child.stdout.on('data', (chunk) => (output.stdout += chunk));
  child.stderr.on('data', (chunk) => (output.stderr += chunk));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
  return {child, output, exited};
}

/** Node's TLS reads PKCS#8 Ed25519 keys only under the plain label. */
export function normalizeKey(pem) {
  return pem.replace(/(BEGIN|END) ED25519 PRIVATE KEY/g, '$1 PRIVATE KEY');
}

export function clientCredentials(ca, client) {
  return grpc.credentials.createSsl(Buffer.from(ca.crt), Buffer.from(normalizeKey(client.key)), Buffer.from(client.crt));
}

/** A client certificate signed by `ca` that pki.ts would refuse to issue: other ExtKeyUsages, or not valid now. */
export async function issueOddClientCert(ca, {roles = ['os:admin'], usages = [x509.ExtendedKeyUsage.clientAuth], notBefore = new Date(), notAfter = new Date(Date.now() + DAY)} = {}) {
  x509.cryptoProvider.set(webcrypto);
  const ed25519 = {name: 'Ed25519'};
  const caDer = createPrivateKey(normalizeKey(ca.key)).export({type: 'pkcs8', format: 'der'});
  const signingKey = await webcrypto.subtle.importKey('pkcs8', caDer, ed25519, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(ed25519, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: [{O: roles}],
    issuer: new x509.X509Certificate(ca.crt).subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: ed25519,
    extensions: [new x509.ExtendedKeyUsageExtension(usages)],
  });
  const key = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return {crt: cert.toString('pem'), key};
}

export function metadataOf(entries = {}) {
  const metadata = new grpc.Metadata();
  for (const [key, values] of Object.entries(entries)) for (const value of [values].flat()) metadata.add(key, value);
  return metadata;
}

/** A unary call by method name; `metadata` as for metadataOf. */
export function unary(client, method, request, metadata, options = {deadline: Date.now() + 20_000}) {
  return new Promise((resolve, reject) => {
    client[method](request, metadataOf(metadata), options, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

/** Every message of a stream that ends. */
export function collect(stream) {
  return new Promise((resolve, reject) => {
    const items = [];
    stream.on('data', (item) => items.push(item));
    stream.on('error', reject);
    stream.on('end', () => resolve(items));
  });
}

/** Reads `count` messages from a stream that stays open. */
export function take(stream, count) {
  return new Promise((resolve, reject) => {
    const items = [];
    const onData = (item) => {
      items.push(item);
      if (items.length === count) {
        stream.off('data', onData);
        resolve(items);
      }
    };
    stream.on('data', onData);
    stream.once('error', reject);
  });
}

/** Retries `check` until it stops throwing, or rethrows its error after `timeoutMs`. */
export async function eventually(check, timeoutMs = 5000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Asserts that a call fails with gRPC status `code` and `details` (a string to equal or a RegExp to match). */
export const rejectsWith = (promise, code, details) =>
  assert.rejects(promise, (error) => {
    assert.equal(error.code, code, `code ${error.code} (${error.details})`);
    if (details instanceof RegExp) assert.match(error.details, details);
    else assert.equal(error.details, details);
    return true;
  });
