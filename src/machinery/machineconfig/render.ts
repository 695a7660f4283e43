import { randomBytes } from 'node:crypto';
import type { MachineConfigDocument, V1Alpha1Config } from './types.js';
import { toGoYaml } from '../yaml-emit.js';

/** Renders a configuration as Talos does: the v1alpha1 document first, the others after, `---` separated. */
export function renderMachineConfig(cfg: Pick<MachineConfigDocument, 'v1alpha1' | 'documents'>): string {
  const parts: Array<Record<string, unknown>> = [];
  if (cfg.v1alpha1) parts.push(cfg.v1alpha1 as Record<string, unknown>);
  parts.push(...(cfg.documents as unknown as Array<Record<string, unknown>>));
  return parts.map((part) => toGoYaml(part)).join('---\n');
}

export interface NewMachineConfigOptions {
  type: 'controlplane' | 'worker' | 'init';
  clusterName: string;
  /** Kubernetes API endpoint URL, e.g. `https://10.5.0.10:6443`. */
  controlPlaneEndpoint: string;
  /** Static hostname (FQDN allowed). */
  hostname?: string;
  /** Talos API issuing CA certificate, PEM. */
  caCrtPem: string;
  /** Its key, PEM; required for control plane machines and never written for workers. */
  caKeyPem?: string;
  /** Machine PKI join token, e.g. `3b9kzq.8vm2d5p1xq7ua0cf`. */
  token: string;
  /** etcd CA, PEM; only written for control plane machines. */
  etcdCa?: { crtPem: string; keyPem: string };
  /** Kubernetes secrets-at-rest key (base64 of 32 bytes); generated for control plane machines when absent. */
  secretboxEncryptionSecret?: string;
}

/** Talos stores certificate material as base64 of the PEM text. */
const base64OfPem = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');

/**
 * Builds a new configuration that validates cleanly in every mode. The result
 * carries its rendered text in `raw`/`bytes`, like a parsed configuration.
 */
export function newMachineConfig(options: NewMachineConfigOptions): MachineConfigDocument {
  const controlPlane = options.type !== 'worker';
  if (controlPlane && !options.caKeyPem) {
    throw new Error(`newMachineConfig: caKeyPem is required for ${options.type} machines (Talos needs the issuing CA key on control plane nodes)`);
  }

  const v1alpha1: V1Alpha1Config = {
    version: 'v1alpha1',
    debug: false,
    persist: true,
    machine: {
      type: options.type,
      token: options.token,
      ca: controlPlane
        ? { crt: base64OfPem(options.caCrtPem), key: base64OfPem(options.caKeyPem!) }
        : { crt: base64OfPem(options.caCrtPem) },
      certSANs: [],
      ...(options.hostname ? { network: { hostname: options.hostname } } : {}),
      features: {
        rbac: true,
        apidCheckExtKeyUsage: true,
        // Host DNS with kube-dns forwarding keeps the config valid in container mode too.
        hostDNS: { enabled: true, forwardKubeDNSToHost: true },
      },
    },
    cluster: {
      controlPlane: { endpoint: options.controlPlaneEndpoint },
      clusterName: options.clusterName,
      network: { dnsDomain: 'cluster.local', podSubnets: ['10.244.0.0/16'], serviceSubnets: ['10.96.0.0/12'] },
      ...(controlPlane
        ? { secretboxEncryptionSecret: options.secretboxEncryptionSecret ?? randomBytes(32).toString('base64') }
        : {}),
      ...(controlPlane && options.etcdCa
        ? { etcd: { ca: { crt: base64OfPem(options.etcdCa.crtPem), key: base64OfPem(options.etcdCa.keyPem) } } }
        : {}),
    },
  };

  const raw = renderMachineConfig({ v1alpha1, documents: [] });
  return { raw, bytes: new TextEncoder().encode(raw), v1alpha1, documents: [] };
}
