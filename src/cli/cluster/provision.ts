// The files a local cluster's nodes start from: folders laid out like a node's filesystem, the
// cluster's OS CA and certificates, and a validated machine config per node.
// Loads the X.509 stack: import this module lazily.
import {randomInt} from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {newMachineConfig, validateMachineConfig} from '../../machinery/machineconfig/index.js';
import {CertAndKey, generateCA, generateEcdsaCA, issueClientCert, issueEtcdCert, issueServerCert} from '../../machinery/pki.js';
import {CliError, EXIT_USAGE} from '../errors.js';
import {ClusterPlan, DISCOVERY_DIR, etcdClientFiles, NODE_DIRS} from './layout.js';
import {patchNodeConfig, patchSources, type RolePatches} from './patches.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Talos's defaults: the OS CA lasts 10 years, issued API certificates 1 year. */
const CA_TTL_MS = 10 * 365 * DAY_MS;
const CERT_TTL_MS = 365 * DAY_MS;
/** The Kubernetes API port on the first control plane, where a real cluster's endpoint would be. */
const KUBE_API_PORT = 6443;

export interface ClusterCredentials {
  ca: CertAndKey;
  /** the os:admin client certificate for the talosconfig */
  admin: CertAndKey;
  /** the etcd CA (ECDSA P-256, as Talos makes it), in the control planes' configs */
  etcdCa: CertAndKey;
}

export async function provisionCluster(plan: ClusterPlan, patches?: RolePatches): Promise<ClusterCredentials> {
  const ca = await generateCA({organization: 'talos', ttlMs: CA_TTL_MS});
  const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: CERT_TTL_MS});
  const etcdCa = await generateEcdsaCA({organization: 'etcd', ttlMs: CA_TTL_MS});
  // For etcdctl against the members (`cluster show -o json` names these files).
  const etcdClient = await issueEtcdCert(etcdCa, {kind: 'client', commonName: 'osctl', ttlMs: CERT_TTL_MS});
  const etcdFiles = etcdClientFiles(plan.clusterDir);
  fs.mkdirSync(path.dirname(etcdFiles.ca), {mode: 0o700});
  writePrivate(etcdFiles.ca, etcdCa.crt);
  writePrivate(etcdFiles.cert, etcdClient.crt);
  writePrivate(etcdFiles.key, etcdClient.key);
  const token = machineToken();
  const controlPlaneEndpoint = `https://${plan.nodes[0].address}:${KUBE_API_PORT}`;
  fs.mkdirSync(path.join(plan.clusterDir, DISCOVERY_DIR), {mode: 0o700});
  for (const node of plan.nodes) {
    for (const dir of NODE_DIRS) fs.mkdirSync(path.join(node.stateDir, dir), {recursive: true, mode: 0o700});
    const generated = newMachineConfig({
      type: node.role,
      clusterName: plan.name,
      controlPlaneEndpoint,
      hostname: node.name,
      caCrtPem: ca.crt,
      // Talos forbids the CA key on workers: only control planes can issue certificates.
      caKeyPem: node.role === 'controlplane' ? ca.key : undefined,
      token,
      etcdCa: node.role === 'controlplane' ? {crtPem: etcdCa.crt, keyPem: etcdCa.key} : undefined,
    });
    const config = patchNodeConfig(generated, node, patches);
    // The same check osd runs on its config at start-up; failing it without patches is our bug, not the user's.
    const validation = validateMachineConfig(config, {mode: 'metal'});
    if (validation.message !== undefined) {
      if (config !== generated) {
        throw new CliError(`the machine config of ${node.name} after the patches (${patchSources(node, patches)}) is invalid: ${validation.message}`, EXIT_USAGE, [
          'fix the patch; `osctl cluster create` started nothing',
        ]);
      }
      throw new Error(`bug: the machine config generated for ${node.name} is invalid: ${validation.message}`);
    }
    const server = await issueServerCert(ca, {ips: [node.address], dnsNames: [node.name], commonName: node.name, ttlMs: CERT_TTL_MS});
    const forwarding = await issueClientCert(ca, {roles: ['os:impersonator'], ttlMs: CERT_TTL_MS});
    writePrivate(path.join(node.stateDir, 'system/state/config.yaml'), config.raw);
    writePrivate(path.join(node.stateDir, 'system/secrets/api.crt'), server.crt);
    writePrivate(path.join(node.stateDir, 'system/secrets/api.key'), server.key);
    writePrivate(path.join(node.stateDir, 'system/secrets/apid-client.crt'), forwarding.crt);
    writePrivate(path.join(node.stateDir, 'system/secrets/apid-client.key'), forwarding.key);
  }
  return {ca, admin, etcdCa};
}

function writePrivate(file: string, text: string): void {
  fs.writeFileSync(file, text, {mode: 0o600});
}

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A machine join token shaped like Talos's: 6 + 16 random characters, e.g. 3b9kzq.8vm2d5p1xq7ua0cf. */
function machineToken(): string {
  const part = (length: number) => Array.from({length}, () => TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)]).join('');
  return `${part(6)}.${part(16)}`;
}
