// PEM helpers that need only node builtins, so talosconfig handling, `config info` and osd's
// start-up checks can use them without loading the X.509 generation stack in pki.ts.
import {createPrivateKey, type KeyObject, X509Certificate} from 'node:crypto';

// Talos (siderolabs/crypto) writes Ed25519 keys as PKCS#8 DER under a non-standard label that
// Go accepts but OpenSSL (and so node's tls and grpc-js) rejects.
export const TALOS_ED25519_KEY_LABEL = 'ED25519 PRIVATE KEY';
const TALOS_ED25519_LINES = new RegExp(`-----(BEGIN|END) ${TALOS_ED25519_KEY_LABEL}-----`, 'g');

export function normalizePrivateKeyPem(pem: string): string {
  return pem.replace(TALOS_ED25519_LINES, '-----$1 PRIVATE KEY-----');
}

/** Standard base64 as Go's decoder accepts it once white space is gone: padding at the end only. */
export function isBase64(text: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 !== 1;
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

export function certificateInfo(pem: string | X509Certificate): CertificateInfo {
  const cert = typeof pem === 'string' ? new X509Certificate(pem) : pem;
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

/** Why a PEM text cannot be used, as a phrase: "not a PEM certificate (its ... block ...)". */
export class PemError extends Error {
  override name = 'PemError';
}

interface PemBlock {
  label: string;
  der: Buffer;
}

/** Every PEM block in `text`, as Go's pem.Decode finds them; text around the blocks is ignored. Throws a bare reason. */
function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const beginLine = /-----BEGIN ([^-\r\n]*)-----/g;
  for (let begin = beginLine.exec(text); begin !== null; begin = beginLine.exec(text)) {
    const label = begin[1];
    const endLine = `-----END ${label}-----`;
    const end = text.indexOf(endLine, beginLine.lastIndex);
    if (end === -1) throw new PemError(`its "${label}" block has no "${endLine}" line: the text is cut short or damaged`);
    // Optional RFC 1421 headers ("Proc-Type: ...") end at a blank line; Go skips them too.
    const body = text.slice(beginLine.lastIndex, end).replace(/^(\s*[\w-]+:[^\n]*\n)+\s*\n/, '').replace(/\s+/g, '');
    if (!isBase64(body)) {
      throw new PemError(`the body of its "${label}" block is not base64: the text is damaged`);
    }
    blocks.push({label, der: Buffer.from(body, 'base64')});
    beginLine.lastIndex = end + endLine.length;
  }
  if (blocks.length === 0) throw new PemError('no "-----BEGIN ...-----" line');
  return blocks;
}

/** pemBlocks, with a failure worded as "not a PEM <what> (<reason>)". */
function blocksOf(text: string, what: string): PemBlock[] {
  try {
    return pemBlocks(text);
  } catch (error) {
    if (error instanceof PemError) throw new PemError(`not a PEM ${what} (${error.message})`);
    throw error;
  }
}

function describeBlocks(blocks: readonly PemBlock[]): string {
  const labels = blocks.map((block) => `"${block.label}"`);
  return labels.length === 1 ? `a ${labels[0]} block` : `blocks ${labels.join(', ')}`;
}

/**
 * The certificates of a PEM text (one, or a bundle). Other blocks are skipped, as Go's and OpenSSL's
 * readers skip them; a text without any certificate is an error.
 */
export function pemCertificates(text: string): X509Certificate[] {
  const blocks = blocksOf(text, 'certificate');
  const certificates = blocks.filter((block) => block.label === 'CERTIFICATE');
  if (certificates.length === 0) {
    throw new PemError(`not a PEM certificate (it holds only ${describeBlocks(blocks)}, no "-----BEGIN CERTIFICATE-----" block)`);
  }
  return certificates.map((block) => {
    try {
      return new X509Certificate(block.der);
    } catch {
      throw new PemError('not a PEM certificate (its CERTIFICATE block is damaged or holds no X.509 certificate)');
    }
  });
}

/** The first private key of a PEM text (PKCS#8, Talos's Ed25519 label, SEC1 or PKCS#1), as Go's tls.X509KeyPair finds it. */
export function pemPrivateKey(text: string): KeyObject {
  const blocks = blocksOf(text, 'private key');
  const block = blocks.find((b) => b.label === 'PRIVATE KEY' || b.label.endsWith(' PRIVATE KEY'));
  if (block === undefined) {
    throw new PemError(`not a PEM private key (it holds only ${describeBlocks(blocks)}, no "-----BEGIN ... PRIVATE KEY-----" block)`);
  }
  const label = block.label === TALOS_ED25519_KEY_LABEL ? 'PRIVATE KEY' : block.label;
  try {
    return createPrivateKey(`-----BEGIN ${label}-----\n${block.der.toString('base64')}\n-----END ${label}-----\n`);
  } catch {
    throw new PemError(`not a PEM private key (its "${block.label}" block is damaged, or holds a key type node's crypto cannot read)`);
  }
}

/** Whether `cert` carries a signature by one of `cas` (and names it as its issuer). */
export function issuedByOneOf(cert: X509Certificate, cas: readonly X509Certificate[]): boolean {
  return cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
}

/** Why `pem` is not a usable certificate, or undefined when it is one (the first of a bundle is read). */
export function certificateProblem(pem: string): string | undefined {
  return problemOf(() => pemCertificates(pem));
}

/** Why `pem` is not a usable private key (Talos's `ED25519 PRIVATE KEY` label included), or undefined. */
export function privateKeyProblem(pem: string): string | undefined {
  return problemOf(() => pemPrivateKey(pem));
}

/** Why the two do not make a key pair, or undefined when the key belongs to the certificate (and both are usable). */
export function keyPairProblem(certificatePem: string, keyPem: string): string | undefined {
  let matches: boolean;
  try {
    matches = pemCertificates(certificatePem)[0].checkPrivateKey(pemPrivateKey(keyPem));
  } catch (error) {
    if (error instanceof PemError) return undefined; // certificateProblem and privateKeyProblem say what is wrong
    throw error;
  }
  return matches ? undefined : 'the private key does not belong to the certificate';
}

function problemOf(read: () => unknown): string | undefined {
  try {
    read();
    return undefined;
  } catch (error) {
    if (error instanceof PemError) return error.message;
    throw error;
  }
}
