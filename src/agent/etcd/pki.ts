// The node's etcd certificates, issued at start from the etcd CA in the machine config
// (cluster.etcd.ca): a serving/peer certificate for the node's address and name, and a client
// certificate for osd itself. Written under system/secrets/etcd, readable by the owner only.
import {mkdir} from 'node:fs/promises';
import {writeFileAtomicAsync} from '../../machinery/fs-atomic.js';
import type {MachineConfigDocument} from '../../machinery/machineconfig/types.js';
import type {EtcdClientCredentials} from './client.js';
import type {EtcdPaths} from './paths.js';

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** The etcd CA (PEM) from the config, or undefined when the config has none (Talos: bootstrap not possible). */
export function etcdCA(config: MachineConfigDocument): {crt: string; key: string} | undefined {
  const ca = config.v1alpha1?.cluster?.etcd?.ca;
  if (ca?.crt === undefined || ca.crt === '' || ca.key === undefined || ca.key === '') return undefined;
  return {crt: fromBase64(ca.crt), key: fromBase64(ca.key)};
}

export interface EtcdCertificates {
  ca: string;
  peer: {crt: string; key: string};
  /** osd's own client credentials for the EtcdClient. */
  client: EtcdClientCredentials;
}

/** Issues the node's certificates and writes them; the files are what etcd itself reads. */
export async function issueNodeCertificates(
  ca: {crt: string; key: string},
  node: {address: string; hostname: string},
  paths: EtcdPaths,
): Promise<EtcdCertificates> {
  const {issueEtcdCert} = await import('../../machinery/pki.js');
  // etcd checks a peer's client certificate against the connection's source address, and on a
  // local cluster every node dials from 127.0.0.1 (Talos's certificates name loopback too).
  const ips = [...new Set([node.address, '127.0.0.1', '::1'])];
  const peer = await issueEtcdCert(ca, {kind: 'server', commonName: node.hostname, ips, dnsNames: [node.hostname, 'localhost'], ttlMs: YEAR_MS});
  const admin = await issueEtcdCert(ca, {kind: 'client', commonName: 'talos', ttlMs: YEAR_MS});
  await mkdir(paths.secrets, {recursive: true, mode: 0o700});
  await writeFileAtomicAsync(paths.ca, ca.crt, 0o600);
  await writeFileAtomicAsync(paths.peerCert, peer.crt, 0o600);
  await writeFileAtomicAsync(paths.peerKey, peer.key, 0o600);
  await writeFileAtomicAsync(paths.adminCert, admin.crt, 0o600);
  await writeFileAtomicAsync(paths.adminKey, admin.key, 0o600);
  return {ca: ca.crt, peer, client: {ca: ca.crt, cert: admin.crt, key: admin.key}};
}

function fromBase64(text: string): string {
  const pem = Buffer.from(text, 'base64').toString('utf8');
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}
