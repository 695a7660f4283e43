// PEM helpers that need only node builtins, so talosconfig handling and `config info`
// can use them without loading the X.509 generation stack in pki.ts.
import {X509Certificate} from 'node:crypto';

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
