// The etcd service's parts on their own: the ECDSA etcd PKI, Bootstrap's order of checks and
// EtcdRecover's upload handling (the method handlers called directly, with a fake node), and
// EtcdMembers' spec encodings.
import {after, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {createPrivateKey, X509Certificate} from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {status} from '@grpc/grpc-js';
import {MachineServiceService} from '../dist/machinery/api/machine/machine.js';
import {Data} from '../dist/machinery/api/common/common.js';
import {generateEcdsaCA, issueEtcdCert} from '../dist/machinery/pki.js';
import {bootstrapMethods} from '../dist/agent/server/bootstrap-methods.js';
import {etcdMemberType} from '../dist/agent/etcd/members.js';
import {memberIdText} from '../dist/agent/etcd/etcd-service.js';

/** Temp folders of this file, removed when it ends. */
const tempDirs = [];
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-unit-'));
  tempDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, {recursive: true, force: true});
});

const DAY = 24 * 3600 * 1000;

describe('etcd PKI', () => {
  test('an ECDSA P-256 CA issues server (peer) and client certificates with SEC1 keys', async () => {
    const ca = await generateEcdsaCA({organization: 'etcd', ttlMs: DAY});
    assert.match(ca.key, /^-----BEGIN EC PRIVATE KEY-----\n/);
    const caCert = new X509Certificate(ca.crt);
    assert.equal(caCert.ca, true);
    assert.equal(caCert.publicKey.asymmetricKeyDetails.namedCurve, 'prime256v1');

    const server = await issueEtcdCert(ca, {kind: 'server', commonName: 'cp-1', ips: ['127.63.0.2', '127.0.0.1'], dnsNames: ['cp-1'], ttlMs: DAY});
    const serverCert = new X509Certificate(server.crt);
    assert.ok(serverCert.verify(caCert.publicKey), 'signed by the CA');
    assert.ok(serverCert.checkIssued(caCert));
    assert.equal(serverCert.checkIP('127.63.0.2'), '127.63.0.2');
    assert.equal(serverCert.checkHost('cp-1'), 'cp-1');
    assert.match(server.key, /^-----BEGIN EC PRIVATE KEY-----\n/);
    assert.ok(serverCert.checkPrivateKey(createPrivateKey(server.key)), 'the key belongs to the certificate');
    assert.deepEqual(serverCert.keyUsage.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);

    const client = new X509Certificate((await issueEtcdCert(ca, {kind: 'client', commonName: 'talos', ttlMs: DAY})).crt);
    assert.deepEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.ok(client.verify(caCert.publicKey));
  });

  test('an Ed25519 CA is refused for etcd with a clear message', async () => {
    const {generateCA} = await import('../dist/machinery/pki.js');
    const ed = await generateCA({organization: 'talos', ttlMs: DAY});
    await assert.rejects(issueEtcdCert(ed, {kind: 'client', commonName: 'x', ttlMs: DAY}), /etcd CA private key is ed25519, but an ECDSA P-256 key/);
  });
});

/** A node for the handlers: every check passes unless changed. */
function fakeNode(dir, overrides = {}) {
  const calls = [];
  return {
    calls,
    node: {
      machineType: () => 'controlplane',
      criReady: async () => true,
      hasEtcdCA: () => true,
      dataDirEmpty: async () => true,
      paths: {root: dir, snapshot: path.join(dir, 'var/lib/etcd.snapshot')},
      bootstrap: async (request) => {
        calls.push(request);
      },
      ...overrides,
    },
  };
}

function handlers(node) {
  const methods = new Map(bootstrapMethods(node));
  return {
    bootstrap: (request) =>
      methods.get(MachineServiceService.bootstrap.path).handle(MachineServiceService.bootstrap.requestSerialize(request), {signal: new AbortController().signal}),
    recover: (chunks, signal = new AbortController().signal) =>
      methods.get(MachineServiceService.etcdRecover.path).handle(
        (async function* () {
          for (const chunk of chunks) {
            if (typeof chunk === 'function') await chunk();
            else yield Buffer.from(Data.encode({bytes: chunk}).finish());
          }
        })(),
        {signal},
      ),
  };
}

const rejectsWith = (promise, code, details) =>
  assert.rejects(promise, (error) => {
    assert.equal(error.code, code, error.message);
    assert.equal(error.message, details);
    return true;
  });

describe('Bootstrap: Talos\'s order of checks', () => {
  const dir = tempDir();

  test('cri not ready comes first, even on a worker', async () => {
    const {node} = fakeNode(dir, {criReady: async () => false, machineType: () => 'worker'});
    await rejectsWith(handlers(node).bootstrap({}), status.FAILED_PRECONDITION, 'bootstrap is not available yet');
  });

  test('then the control-plane check, the etcd CA, the data dir', async () => {
    await rejectsWith(handlers(fakeNode(dir, {machineType: () => 'worker'}).node).bootstrap({}), status.UNIMPLEMENTED, 'bootstrap is only available on control plane nodes');
    await rejectsWith(handlers(fakeNode(dir, {machineType: () => 'unknown'}).node).bootstrap({}), status.UNIMPLEMENTED, 'machine type is not set, cannot use bootstrap API');
    await rejectsWith(
      handlers(fakeNode(dir, {hasEtcdCA: () => false, dataDirEmpty: async () => false}).node).bootstrap({}),
      status.INVALID_ARGUMENT,
      'etcd is not configured, bootstrap is not possible',
    );
    await rejectsWith(handlers(fakeNode(dir, {dataDirEmpty: async () => false}).node).bootstrap({}), status.ALREADY_EXISTS, 'etcd data directory is not empty');
  });

  test('passing every check starts etcd with the recover flags', async () => {
    const {node, calls} = fakeNode(dir);
    await handlers(node).bootstrap({recoverEtcd: true, recoverSkipHashCheck: true});
    await handlers(node).bootstrap({});
    assert.deepEqual(calls, [{recover: true, skipHashCheck: true}, {recover: false, skipHashCheck: false}]);
  });
});

describe('EtcdRecover', () => {
  test('refused until var/lib exists; on a worker with Talos\'s text', async () => {
    const dir = tempDir();
    await rejectsWith(handlers(fakeNode(dir).node).recover([Buffer.from('x')]), status.FAILED_PRECONDITION, 'etcd service is not ready for recovery yet');
    fs.mkdirSync(path.join(dir, 'var/lib'), {recursive: true});
    await rejectsWith(handlers(fakeNode(dir, {machineType: () => 'worker'}).node).recover([Buffer.from('x')]), status.UNIMPLEMENTED, 'etcd recover is only available on control plane nodes');
    assert.equal(fs.existsSync(path.join(dir, 'var/lib/etcd.snapshot')), false);
  });

  test('stores the chunks in var/lib/etcd.snapshot (mode 0700), replacing an older upload', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'var/lib'), {recursive: true});
    const target = path.join(dir, 'var/lib/etcd.snapshot');
    fs.writeFileSync(target, 'an older, longer upload that must not survive');
    fs.chmodSync(target, 0o700);
    const {recover} = handlers(fakeNode(dir).node);
    const chunks = [Buffer.alloc(70_000, 1), Buffer.alloc(0), Buffer.from('tail')];
    const response = await recover(chunks);
    assert.deepEqual(MachineServiceService.etcdRecover.responseDeserialize(response), {messages: [{metadata: undefined}]});
    assert.deepEqual(fs.readFileSync(target), Buffer.concat(chunks));
    fs.rmSync(target);
    await recover([Buffer.from('x')]);
    assert.equal(fs.statSync(target).mode & 0o777, 0o700);
  });

  test('a cancelled upload leaves no file', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'var/lib'), {recursive: true});
    const abort = new AbortController();
    const never = () => new Promise(() => {});
    const upload = handlers(fakeNode(dir).node).recover([Buffer.alloc(1000, 7), async () => abort.abort(), never], abort.signal);
    await assert.rejects(upload, /upload cancelled/);
    assert.equal(fs.existsSync(path.join(dir, 'var/lib/etcd.snapshot')), false);
  });
});

describe('EtcdMembers', () => {
  test('member ids are %016x; the spec renders as Talos\'s yaml and proto', () => {
    assert.equal(memberIdText(0x5a3f09c1e27b44d8n), '5a3f09c1e27b44d8');
    assert.equal(memberIdText(0x42n), '0000000000000042');
    assert.equal(etcdMemberType.yamlSpec({memberID: '5a3f09c1e27b44d8'}), 'memberID: 5a3f09c1e27b44d8\n');
    assert.deepEqual(Buffer.from(etcdMemberType.protoSpec({memberID: 'ab'})), Buffer.from([0x0a, 0x02, 0x61, 0x62]));
  });
});
