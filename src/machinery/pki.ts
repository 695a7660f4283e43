// Ed25519 certificates shaped like the ones Talos issues from its OS CA (talos-api.md §6.1), and
// ECDSA P-256 ones for etcd, whose CA Talos makes with ECDSA (keys as `EC PRIVATE KEY`, SEC1).
// Loads @peculiar/x509 and reflect-metadata: import this module lazily, never at CLI start-up.
import 'reflect-metadata';
import {createPrivateKey, randomBytes, webcrypto} from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {normalizePrivateKeyPem, TALOS_ED25519_KEY_LABEL} from './pem.js';

export {certificateInfo, normalizePrivateKeyPem} from './pem.js';
export type {CertificateInfo} from './pem.js';

/** PEM strings; `key` uses the `ED25519 PRIVATE KEY` label exactly as Talos writes it. */
export interface CertAndKey {
  crt: string;
  key: string;
}

const ED25519 = {name: 'Ed25519'};

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export async function generateCA(opts: {organization: string; ttlMs: number}): Promise<CertAndKey> {
  const keys = await generateKeyPair();
  const {notBefore, notAfter} = validity(opts.ttlMs);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{O: [opts.organization]}],
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: ED25519,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {crt: pemWithNewline(cert.toString('pem')), key: await privateKeyPem(keys.privateKey)};
}

/** A client certificate for the Talos API: one Subject O value per role, ExtKeyUsage exactly [clientAuth]. */
export async function issueClientCert(
  ca: CertAndKey,
  opts: {roles: string[]; ttlMs: number; commonName?: string},
): Promise<CertAndKey> {
  const subject: x509.JsonName = [];
  // All roles go into one multi-valued RDN, as Go's pkix.Name encodes Organization.
  if (opts.roles.length > 0) subject.push({O: opts.roles});
  if (opts.commonName !== undefined) subject.push({CN: [opts.commonName]});
  return issueLeaf(ca, subject, opts.ttlMs, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])]);
}

/** An apid-style server certificate: node IPs and DNS names as SANs, ExtKeyUsage [serverAuth]. */
export async function issueServerCert(
  ca: CertAndKey,
  opts: {ips: string[]; dnsNames: string[]; commonName: string; ttlMs: number},
): Promise<CertAndKey> {
  const altNames: x509.JsonGeneralNames = [
    ...opts.ips.map((value) => ({type: 'ip' as const, value})),
    ...opts.dnsNames.map((value) => ({type: 'dns' as const, value})),
  ];
  return issueLeaf(ca, [{CN: [opts.commonName]}], opts.ttlMs, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(altNames),
  ]);
}

/** An ECDSA P-256 CA, as Talos makes the etcd CA. */
export async function generateEcdsaCA(opts: {organization: string; ttlMs: number}): Promise<CertAndKey> {
  const keys = await generateEcdsaKeyPair();
  const {notBefore, notAfter} = validity(opts.ttlMs);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{O: [opts.organization]}],
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {crt: pemWithNewline(cert.toString('pem')), key: await ecPrivateKeyPem(keys.privateKey)};
}

/**
 * An etcd certificate from an ECDSA CA: `server` (serving and peer: both ExtKeyUsages, IP and DNS
 * SANs, as Talos's etcd peer certificate) or `client` (clientAuth only).
 */
export async function issueEtcdCert(
  ca: CertAndKey,
  opts: {kind: 'server' | 'client'; commonName: string; ips?: string[]; dnsNames?: string[]; ttlMs: number},
): Promise<CertAndKey> {
  const usages =
    opts.kind === 'server' ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.clientAuth];
  const altNames: x509.JsonGeneralNames = [
    ...(opts.ips ?? []).map((value) => ({type: 'ip' as const, value})),
    ...(opts.dnsNames ?? []).map((value) => ({type: 'dns' as const, value})),
  ];
  return issueLeaf(
    ca,
    [{CN: [opts.commonName]}],
    opts.ttlMs,
    [new x509.ExtendedKeyUsageExtension(usages), ...(altNames.length > 0 ? [new x509.SubjectAlternativeNameExtension(altNames)] : [])],
    'ecdsa',
  );
}

const ECDSA_P256 = {name: 'ECDSA', namedCurve: 'P-256'};
const ECDSA_SHA256 = {name: 'ECDSA', hash: 'SHA-256'};

async function generateEcdsaKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** SEC1 `EC PRIVATE KEY` PEM, as Go's x509.MarshalECPrivateKey writes Talos's etcd keys. */
async function ecPrivateKeyPem(privateKey: CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', privateKey as webcrypto.CryptoKey));
  const sec1 = createPrivateKey({key: pkcs8, format: 'der', type: 'pkcs8'}).export({type: 'sec1', format: 'pem'});
  return pemWithNewline(String(sec1));
}

async function importEcdsaCASigningKey(keyPem: string): Promise<CryptoKey> {
  let keyObject;
  try {
    keyObject = createPrivateKey(normalizePrivateKeyPem(keyPem));
  } catch (error) {
    throw new Error(`cannot read the etcd CA private key: ${(error as Error).message}`);
  }
  if (keyObject.asymmetricKeyType !== 'ec' || keyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`the etcd CA private key is ${keyObject.asymmetricKeyType ?? 'of an unknown type'}, but an ECDSA P-256 key (Talos's etcd CA) is needed`);
  }
  const pkcs8 = keyObject.export({type: 'pkcs8', format: 'der'});
  return (await webcrypto.subtle.importKey('pkcs8', pkcs8, ECDSA_P256, false, ['sign'])) as CryptoKey;
}

async function issueLeaf(
  ca: CertAndKey,
  subject: x509.JsonName,
  ttlMs: number,
  purposeExtensions: x509.Extension[],
  algorithm: 'ed25519' | 'ecdsa' = 'ed25519',
): Promise<CertAndKey> {
  const caCert = new x509.X509Certificate(ca.crt);
  const ecdsa = algorithm === 'ecdsa';
  const caKey = ecdsa ? await importEcdsaCASigningKey(ca.key) : await importCASigningKey(ca.key);
  const keys = ecdsa ? await generateEcdsaKeyPair() : await generateKeyPair();
  const {notBefore, notAfter} = validity(ttlMs);
  // Link to the CA's own key identifier so chain building matches CAs made elsewhere (e.g. by Talos).
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject,
    // The CA's Name object keeps its original DER encoding, so issuer and CA subject match byte for byte.
    issuer: caCert.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ecdsa ? ECDSA_SHA256 : ED25519,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (ecdsa ? x509.KeyUsageFlags.keyEncipherment : 0), true),
      ...purposeExtensions,
      ...(caKeyId === undefined ? [] : [new x509.AuthorityKeyIdentifierExtension(caKeyId)]),
    ],
  });
  return {crt: pemWithNewline(cert.toString('pem')), key: ecdsa ? await ecPrivateKeyPem(keys.privateKey) : await privateKeyPem(keys.privateKey)};
}

async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function importCASigningKey(keyPem: string): Promise<CryptoKey> {
  let keyObject;
  try {
    keyObject = createPrivateKey(normalizePrivateKeyPem(keyPem));
  } catch (error) {
    throw new Error(`cannot read the CA private key: ${(error as Error).message}`);
  }
  if (keyObject.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `the CA private key is ${keyObject.asymmetricKeyType ?? 'of an unknown type'}, but only Ed25519 CAs (the Talos default) are supported`,
    );
  }
  const pkcs8 = keyObject.export({type: 'pkcs8', format: 'der'});
  return (await webcrypto.subtle.importKey('pkcs8', pkcs8, ED25519, false, ['sign'])) as CryptoKey;
}

async function privateKeyPem(privateKey: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', privateKey as webcrypto.CryptoKey);
  return pemWithNewline(x509.PemConverter.encode(pkcs8, TALOS_ED25519_KEY_LABEL));
}

function validity(ttlMs: number): {notBefore: Date; notAfter: Date} {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`certificate TTL must be a positive number of milliseconds (got ${ttlMs})`);
  }
  const notBefore = new Date();
  return {notBefore, notAfter: new Date(notBefore.getTime() + ttlMs)};
}

/** 16 random bytes with the top bit cleared, so the DER INTEGER is positive without padding. */
function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

// Go's pem.Encode ends every block with a newline; keep files and concatenated bundles identical.
function pemWithNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}
