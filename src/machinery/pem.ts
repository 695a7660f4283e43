// PEM helpers that need only node builtins, so talosconfig handling and `config info`
// can use them without loading the X.509 generation stack in pki.ts.
import {X509Certificate, createPrivateKey, type KeyObject} from 'node:crypto';

// Talos (siderolabs/crypto) writes Ed25519 keys as PKCS#8 DER under a non-standard label that
// Go accepts but OpenSSL (and so node's tls and grpc-js) rejects.
const TALOS_ED25519_LABEL = /-----(BEGIN|END) ED25519 PRIVATE KEY-----/g;

export function normalizePrivateKeyPem(pem: string): string {
  return pem.replace(TALOS_ED25519_LABEL, '-----$1 PRIVATE KEY-----');
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** Talos roles: the Subject Organization values, trimmed, empty ones dropped (as apid does). */
  roles: string[];
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
  isCA: boolean;
}

export function certificateInfo(pem: string): CertificateInfo {
  const cert = new X509Certificate(pem);
  // The legacy object groups repeated attributes (multi-valued O) into an array for us.
  const organization = cert.toLegacyObject().subject.O as string | string[] | undefined;
  const organizations = organization === undefined ? [] : [organization].flat();
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    roles: organizations.map((value) => value.trim()).filter((value) => value !== ''),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    serialNumber: cert.serialNumber,
    isCA: cert.ca,
  };
}

/** Why `pem` is not a usable certificate, or undefined when it is one (the first of a bundle is read). */
export function certificateProblem(pem: string): string | undefined {
  return readCertificate(pem).problem;
}

/** Why `pem` is not a usable private key (Talos's `ED25519 PRIVATE KEY` label included), or undefined. */
export function privateKeyProblem(pem: string): string | undefined {
  return readPrivateKey(pem).problem;
}

/** Why the two do not make a key pair, or undefined when the key belongs to the certificate (and both are usable). */
export function keyPairProblem(certificatePem: string, keyPem: string): string | undefined {
  const {certificate} = readCertificate(certificatePem);
  const {key} = readPrivateKey(keyPem);
  if (certificate === undefined || key === undefined) return undefined;
  return certificate.checkPrivateKey(key) ? undefined : 'the private key does not belong to the certificate';
}

function readCertificate(pem: string): {certificate?: X509Certificate; problem?: string} {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return {problem: 'not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)'};
  try {
    return {certificate: new X509Certificate(pem)};
  } catch {
    return {problem: 'not a PEM certificate (its CERTIFICATE block is damaged or holds no X.509 certificate)'};
  }
}

function readPrivateKey(pem: string): {key?: KeyObject; problem?: string} {
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) return {problem: 'not a PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block)'};
  try {
    return {key: createPrivateKey(normalizePrivateKeyPem(pem))};
  } catch {
    return {problem: 'not a PEM private key (its PRIVATE KEY block is damaged or holds no key)'};
  }
}
