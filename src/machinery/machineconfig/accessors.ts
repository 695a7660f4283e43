import type { MachineConfigDocument } from './types.js';

export type MachineType = 'controlplane' | 'worker' | 'init' | 'unknown';

/** Talos `machine.ParseType`: `join` and an empty value mean worker; anything unrecognised is unknown. */
export function parseMachineType(value: string | undefined): MachineType {
  switch (value ?? '') {
    case 'init':
      return 'init';
    case 'controlplane':
      return 'controlplane';
    case 'worker':
    case 'join':
    case '':
      return 'worker';
    default:
      return 'unknown';
  }
}

/** The machine type the node runs as; `unknown` without a v1alpha1 document or with an invalid type. */
export function machineType(cfg: MachineConfigDocument): MachineType {
  return cfg.v1alpha1?.machine ? parseMachineType(cfg.v1alpha1.machine.type) : 'unknown';
}

export function clusterName(cfg: MachineConfigDocument): string {
  return cfg.v1alpha1?.cluster?.clusterName ?? '';
}

/**
 * The statically configured hostname, split at the first dot into host and
 * domain. A HostnameConfig document wins (Talos rejects having both); undefined
 * when neither sets one, e.g. `auto: stable`.
 */
export function hostname(cfg: MachineConfigDocument): { hostname: string; domainname: string } | undefined {
  const fromDocument = cfg.documents.find((doc) => doc.kind === 'HostnameConfig')?.hostname;
  const fqdn = fromDocument || cfg.v1alpha1?.machine?.network?.hostname;
  if (!fqdn) return undefined;
  const dot = fqdn.indexOf('.');
  return dot < 0 ? { hostname: fqdn, domainname: '' } : { hostname: fqdn.slice(0, dot), domainname: fqdn.slice(dot + 1) };
}

export interface StaticPod {
  /** StaticPods resource id. */
  id: string;
  pod: Record<string, unknown>;
}

const stringOr = (value: unknown, fallback: string) => (typeof value === 'string' ? value : fallback);

/**
 * User static pods: `machine.pods` entries (id `<namespace>-<name>`, each part
 * defaulting to `default`) followed by KubeStaticPodConfig documents (id = name).
 */
export function staticPods(cfg: MachineConfigDocument): StaticPod[] {
  const fromMachine = (cfg.v1alpha1?.machine?.pods ?? []).map((pod) => {
    const metadata = (typeof pod?.metadata === 'object' && pod.metadata !== null ? pod.metadata : {}) as Record<string, unknown>;
    return { id: `${stringOr(metadata.namespace, 'default')}-${stringOr(metadata.name, 'default')}`, pod };
  });
  const fromDocuments = cfg.documents.flatMap((doc) =>
    doc.kind === 'KubeStaticPodConfig' && doc.name && doc.pod ? [{ id: doc.name, pod: doc.pod }] : [],
  );
  return [...fromMachine, ...fromDocuments];
}
