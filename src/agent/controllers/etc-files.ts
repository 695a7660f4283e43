// The files osd writes under the node's etc/, as Talos models its own: an EtcFileSpec (what the
// file should hold) and, once the file is written, an EtcFileStatus naming the spec version that
// is on disk (files.EtcFileController). osd writes `hostname`, `hosts` and `machine-id`; the kubelet's static
// pod manifests under etc/kubernetes are not EtcFileSpecs (Talos does not model them so either).
import {join} from 'node:path';
import {
  EtcFileSpecSpec as EtcFileSpecSpecProto,
  EtcFileStatusSpec as EtcFileStatusSpecProto,
} from '../../machinery/api/resource/definitions/files/files.js';
import {writeFileAtomicAsync} from '../../machinery/fs-atomic.js';
import type {MachineConfigDocument} from '../../machinery/machineconfig/types.js';
import {toGoYaml} from '../../machinery/yaml-emit.js';
import type {ResourceTypeDefinition} from '../store/resource.js';
import type {ResourceStore} from '../store/store.js';
import {fqdn} from './hostname.js';
import type {HostnameStatusSpec} from './resource-types.js';

export const ETC_FILE_SPEC_TYPE = 'EtcFileSpecs.files.talos.dev';
export const ETC_FILE_STATUS_TYPE = 'EtcFileStatuses.files.talos.dev';
/** hostname and hosts come from the network state (Talos's network.EtcFileController renders hosts). */
const SPEC_OWNER = 'network.EtcFileController';
/** Talos renders etc/machine-id from the node identity, in cluster.NodeIdentityController. */
const MACHINE_ID_OWNER = 'cluster.NodeIdentityController';
const STATUS_OWNER = 'files.EtcFileController';

export interface EtcFileSpecSpec {
  /** The file's text (Talos's StringBytes prints as a string). */
  contents: string;
  /** Go fs.FileMode permission bits. */
  mode: number;
  /** osd labels nothing: always empty. */
  selinuxLabel: string;
}

export interface EtcFileStatusSpec {
  specVersion: string;
}

const utf8 = new TextEncoder();

export const etcFileSpecType: ResourceTypeDefinition<EtcFileSpecSpec> = {
  type: ETC_FILE_SPEC_TYPE,
  defaultNamespace: 'files',
  // fs.FileMode has no text form for YAML: it prints as the number (0o644 → 420).
  yamlSpec: ({contents, mode, selinuxLabel}) => toGoYaml({contents, mode, selinux_label: selinuxLabel}),
  protoSpec: (spec) =>
    EtcFileSpecSpecProto.encode({contents: utf8.encode(spec.contents), mode: spec.mode, selinuxLabel: spec.selinuxLabel}).finish(),
};

export const etcFileStatusType: ResourceTypeDefinition<EtcFileStatusSpec> = {
  type: ETC_FILE_STATUS_TYPE,
  defaultNamespace: 'files',
  yamlSpec: ({specVersion}) => toGoYaml({specVersion}),
  protoSpec: (spec) => EtcFileStatusSpecProto.encode(spec).finish(),
};

/**
 * Publishes the spec, writes `<root>/etc/<id>` atomically, then publishes the status with the
 * spec version now on disk. A failed write leaves the status at the version written before.
 */
export async function writeEtcFile(
  store: ResourceStore,
  root: string,
  id: string,
  contents: string,
  mode: number,
  owner = SPEC_OWNER,
): Promise<void> {
  const spec = store.put<EtcFileSpecSpec>({type: ETC_FILE_SPEC_TYPE, id, owner, spec: {contents, mode, selinuxLabel: ''}});
  await writeFileAtomicAsync(join(root, 'etc', id), contents, mode);
  store.put<EtcFileStatusSpec>({
    type: ETC_FILE_STATUS_TYPE,
    id,
    owner: STATUS_OWNER,
    spec: {specVersion: String(spec.metadata.version)},
  });
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const NODE_ID_BYTES = 32;

/**
 * etc/machine-id as Talos derives it from the node identity: the first 16 bytes of the decoded
 * node id as 32 lower-case hex digits, no newline (mode 0444). osd's node id is the base62 number
 * of its 32 random bytes (identity.ts), decoded back the same way.
 */
export function renderMachineId(nodeId: string): string {
  let value = 0n;
  for (const char of nodeId) {
    const digit = BASE62.indexOf(char);
    if (digit < 0) throw new Error(`node id ${JSON.stringify(nodeId)} is not base62`);
    value = value * 62n + BigInt(digit);
  }
  const hex = value.toString(16).padStart(NODE_ID_BYTES * 2, '0').slice(-NODE_ID_BYTES * 2);
  return hex.slice(0, 32);
}

/** etc/machine-id (mode 0444) from the node id, owned as Talos owns it. */
export async function writeMachineId(store: ResourceStore, root: string, nodeId: string): Promise<void> {
  await writeEtcFile(store, root, 'machine-id', renderMachineId(nodeId), 0o444, MACHINE_ID_OWNER);
}

/** etc/hostname: the node's short hostname and a newline. */
export function renderHostname(status: HostnameStatusSpec): string {
  return `${status.hostname}\n`;
}

/**
 * etc/hosts as Talos renders it: localhost, the node's default address with its FQDN (and the
 * short name when they differ), the IPv6 names, then the configured extra host entries; the
 * first column padded as Go's tabwriter does (widest cell + 1 space).
 */
export function renderHosts(status: HostnameStatusSpec, defaultAddress: string, config: MachineConfigDocument): string {
  const name = fqdn(status);
  const rows: Array<[string, string]> = [
    ['127.0.0.1', 'localhost'],
    [defaultAddress, status.hostname === name ? name : `${name} ${status.hostname}`],
    ['::1', 'localhost ip6-localhost ip6-loopback'],
    ['ff02::1', 'ip6-allnodes'],
    ['ff02::2', 'ip6-allrouters'],
  ];
  for (const entry of config.v1alpha1?.machine?.network?.extraHostEntries ?? []) {
    rows.push([entry.ip ?? '', (entry.aliases ?? []).join(' ')]);
  }
  for (const document of config.documents) {
    if (document.kind !== 'StaticHostConfig') continue;
    const host = document as {name?: string; hostnames?: string[]};
    rows.push([host.name ?? '', (host.hostnames ?? []).join(' ')]);
  }
  const width = Math.max(...rows.map(([ip]) => ip.length)) + 1;
  return rows.map(([ip, names]) => `${ip.padEnd(width)}${names}\n`).join('');
}
