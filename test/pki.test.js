import 'reflect-metadata';
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {X509Certificate, createPrivateKey, generateKeyPairSync} from 'node:crypto';
import * as tls from 'node:tls';
import * as x509 from '@peculiar/x509';
import {
  certificateInfo,
  generateCA,
  issueClientCert,
  issueServerCert,
  normalizePrivateKeyPem,
} from '../dist/machinery/pki.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

const ca = await generateCA({organization: 'talos', ttlMs: 3650 * DAY_MS});
const server = await issueServerCert(ca, {
  ips: ['127.0.0.1'],
  dnsNames: ['node-1.example'],
  commonName: 'node-1.example',
  ttlMs: DAY_MS,
});
const admin = await issueClientCert(ca, {roles: ['os:admin', 'os:etcd:backup'], ttlMs: 365 * DAY_MS, commonName: 'admin'});

function keyUsageFlags(pem) {
  return new x509.X509Certificate(pem).getExtension(x509.KeyUsagesExtension)?.usages;
}

test('CA is a self-signed Ed25519 CA with keyCertSign and digitalSignature', () => {
  const cert = new X509Certificate(ca.crt);
  assert.equal(cert.ca, true);
  assert.equal(cert.subject, 'O=talos');
  assert.equal(cert.issuer, 'O=talos');
  assert.equal(cert.publicKey.asymmetricKeyType, 'ed25519');
  assert.ok(cert.verify(cert.publicKey), 'self-signature verifies');
  assert.equal(keyUsageFlags(ca.crt), x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature);
});

test('private keys use the Talos ED25519 PRIVATE KEY label over PKCS#8 DER', () => {
  for (const {key} of [ca, server, admin]) {
    assert.match(key, /^-----BEGIN ED25519 PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END ED25519 PRIVATE KEY-----\n$/);
    const normalized = normalizePrivateKeyPem(key);
    const keyObject = createPrivateKey(normalized);
    assert.equal(keyObject.asymmetricKeyType, 'ed25519');
    const body = normalized.replace(/-----[A-Z ]+-----|\n/g, '');
    assert.equal(body, keyObject.export({type: 'pkcs8', format: 'der'}).toString('base64'));
  }
  // The reason for normalizing: node/OpenSSL refuse the Talos label as is.
  assert.throws(() => createPrivateKey(admin.key));
});

test('normalizePrivateKeyPem relabels only ED25519 PRIVATE KEY', () => {
  assert.equal(
    normalizePrivateKeyPem('-----BEGIN ED25519 PRIVATE KEY-----\nAAAA\n-----END ED25519 PRIVATE KEY-----\n'),
    '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
  );
  for (const label of ['EC PRIVATE KEY', 'RSA PRIVATE KEY', 'PRIVATE KEY', 'CERTIFICATE']) {
    const pem = `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;
    assert.equal(normalizePrivateKeyPem(pem), pem);
  }
});

test('client certificate: roles as Subject O values, digitalSignature, ExtKeyUsage exactly [clientAuth]', () => {
  const cert = new X509Certificate(admin.crt);
  assert.equal(cert.ca, false);
  assert.equal(cert.issuer, 'O=talos');
  assert.ok(cert.checkIssued(new X509Certificate(ca.crt)));
  assert.ok(cert.verify(new X509Certificate(ca.crt).publicKey));
  assert.equal(cert.publicKey.asymmetricKeyType, 'ed25519');
  assert.deepEqual(cert.keyUsage, [CLIENT_AUTH]);
  assert.equal(keyUsageFlags(admin.crt), x509.KeyUsageFlags.digitalSignature);
  assert.deepEqual(cert.toLegacyObject().subject.O, ['os:admin', 'os:etcd:backup']);
  assert.equal(cert.toLegacyObject().subject.CN, 'admin');
});

test('client certificate without a common name has only O in its subject', async () => {
  const reader = await issueClientCert(ca, {roles: ['os:reader'], ttlMs: DAY_MS});
  assert.equal(new X509Certificate(reader.crt).subject, 'O=os:reader');
});

test('server certificate: SANs, CN, ExtKeyUsage [serverAuth]', () => {
  const cert = new X509Certificate(server.crt);
  assert.equal(cert.subject, 'CN=node-1.example');
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(cert.checkHost('node-1.example'), 'node-1.example');
  assert.equal(cert.checkHost('other.example'), undefined);
  assert.deepEqual(cert.keyUsage, [SERVER_AUTH]);
  assert.ok(cert.checkIssued(new X509Certificate(ca.crt)));
});

test('serial numbers are random, positive and at most 16 bytes', async () => {
  const other = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY_MS});
  const serials = [ca, server, admin, other].map(({crt}) => new X509Certificate(crt).serialNumber);
  assert.equal(new Set(serials).size, serials.length);
  for (const serial of serials) {
    assert.ok(serial.length <= 32, serial);
    assert.ok(Number.parseInt(serial.padStart(32, '0').slice(0, 2), 16) < 0x80, `${serial} is positive`);
  }
});

test('certificateInfo reports roles, validity and CA flag', async () => {
  const info = certificateInfo(admin.crt);
  assert.deepEqual(info.roles, ['os:admin', 'os:etcd:backup']);
  assert.equal(info.isCA, false);
  assert.equal(info.issuer, 'O=talos');
  assert.equal(info.serialNumber, new X509Certificate(admin.crt).serialNumber);
  // X.509 times have one-second resolution.
  assert.ok(Math.abs(info.notBefore.getTime() - Date.now()) < 60_000);
  assert.ok(Math.abs(info.notAfter.getTime() - info.notBefore.getTime() - 365 * DAY_MS) <= 1000);

  const caInfo = certificateInfo(ca.crt);
  assert.equal(caInfo.isCA, true);
  assert.deepEqual(caInfo.roles, ['talos']);

  // apid trims role strings and ignores empty ones.
  const padded = await issueClientCert(ca, {roles: [' os:reader ', ' '], ttlMs: DAY_MS});
  assert.deepEqual(certificateInfo(padded.crt).roles, ['os:reader']);
  const roleless = await issueClientCert(ca, {roles: [], ttlMs: DAY_MS, commonName: 'nobody'});
  assert.deepEqual(certificateInfo(roleless.crt).roles, []);
});

test('a non-positive TTL is refused', async () => {
  await assert.rejects(issueClientCert(ca, {roles: ['os:admin'], ttlMs: 0}), /TTL must be a positive/);
  await assert.rejects(generateCA({organization: 'talos', ttlMs: -1}), /TTL must be a positive/);
});

test('a CA whose key is not Ed25519 is refused with a clear message', async () => {
  const {privateKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'});
  const ecCA = {crt: ca.crt, key: privateKey.export({type: 'sec1', format: 'pem'})};
  await assert.rejects(issueClientCert(ecCA, {roles: ['os:admin'], ttlMs: DAY_MS}), /CA private key is ec, but only Ed25519/);
  await assert.rejects(issueClientCert({crt: ca.crt, key: 'garbage'}, {roles: ['os:admin'], ttlMs: DAY_MS}), /cannot read the CA private key/);
});

/** Starts an mTLS server trusting `ca`, connects with `client`, and reports what both sides saw. */
async function handshake(client) {
  const tlsServer = tls.createServer({
    cert: server.crt,
    key: normalizePrivateKeyPem(server.key),
    ca: ca.crt,
    requestCert: true,
    rejectUnauthorized: true,
  });
  const serverSide = new Promise((resolve) => {
    tlsServer.on('secureConnection', (socket) => {
      const subject = socket.getPeerCertificate().subject;
      socket.end('hello');
      resolve({accepted: true, subject});
    });
    tlsServer.on('tlsClientError', (error) => resolve({accepted: false, error}));
  });
  await new Promise((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  try {
    const clientSide = new Promise((resolve) => {
      let received = '';
      const socket = tls.connect({
        host: '127.0.0.1',
        port: tlsServer.address().port,
        ca: ca.crt,
        cert: client.crt,
        key: normalizePrivateKeyPem(client.key),
      });
      socket.on('data', (chunk) => (received += chunk));
      socket.on('end', () => resolve({received}));
      socket.on('error', (error) => resolve({received, error}));
    });
    return {server: await serverSide, client: await clientSide};
  } finally {
    tlsServer.close();
  }
}

test('mTLS handshake with a client certificate from our CA succeeds and the server sees the roles', async () => {
  const result = await handshake(admin);
  assert.equal(result.server.accepted, true);
  assert.deepEqual(result.server.subject.O, ['os:admin', 'os:etcd:backup']);
  assert.equal(result.client.error, undefined);
  assert.equal(result.client.received, 'hello');
});

test('a client certificate from another CA is refused', async () => {
  const otherCA = await generateCA({organization: 'talos', ttlMs: DAY_MS});
  const stranger = await issueClientCert(otherCA, {roles: ['os:admin'], ttlMs: DAY_MS});
  const result = await handshake(stranger);
  // node's server drops the connection after its verification fails, so the error is a generic hang-up.
  assert.equal(result.server.accepted, false);
  assert.ok(result.server.error instanceof Error);
  assert.equal(result.client.received, '');
});
