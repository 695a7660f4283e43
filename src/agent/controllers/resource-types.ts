// The Talos resource types osd serves: their declarations (namespace, aliases, print columns,
// sensitivity) and how their specs render as yaml_spec and proto_spec (talos-resources.md §1–§2).
import {NetIP} from '../../machinery/api/common/common.js';
import {
  MachineConfigSpec as MachineConfigSpecProto,
  MachineTypeSpec as MachineTypeSpecProto,
  MachineType as ConfigMachineType,
} from '../../machinery/api/resource/config/config.js';
import {
  IdentitySpec as IdentitySpecProto,
  MemberSpec as MemberSpecProto,
} from '../../machinery/api/resource/definitions/cluster/cluster.js';
import {MachineType as EnumsMachineType, NetworkConfigLayer} from '../../machinery/api/resource/definitions/enums/enums.js';
import {
  HostnameSpecSpec as HostnameSpecSpecProto,
  HostnameStatusSpec as HostnameStatusSpecProto,
} from '../../machinery/api/resource/definitions/network/network.js';
import {
  StaticPodSpec as StaticPodSpecProto,
  StaticPodStatusSpec as StaticPodStatusSpecProto,
} from '../../machinery/api/resource/definitions/k8s/k8s.js';
import {MetaKeySpec as MetaKeySpecProto, VersionSpec as VersionSpecProto} from '../../machinery/api/resource/definitions/runtime/runtime.js';
import {ServiceSpec as ServiceSpecProto} from '../../machinery/api/resource/definitions/v1alpha1/v1alpha1.js';
import {
  NamespaceSpec as NamespaceSpecProto,
  ResourceDefinitionSpec as ResourceDefinitionSpecProto,
  ResourceDefinitionSpec_Sensitivity,
} from '../../machinery/api/v1alpha1/meta.js';
import type {MachineType} from '../../machinery/machineconfig/accessors.js';
import {inGoMapOrder, toGoYaml} from '../../machinery/yaml-emit.js';
import {ipBytes} from '../net.js';
import type {NamespaceSpec, ResourceDefinitionSpec} from '../store/definitions.js';
import type {ResourceTypeDefinition} from '../store/resource.js';
import {ResourceStore} from '../store/store.js';
import {etcFileSpecType, etcFileStatusType} from './etc-files.js';
import {addressStatusType, linkStatusType, nodeAddressType, routeStatusType} from './network.js';
import {platformMetadataType} from './platform.js';
import {etcdMemberType} from '../etcd/members.js';

export type MachineTypeName = MachineType;

/** The whole multi-document config text, exactly as stored. */
export type MachineConfigSpec = string;
export type MachineTypeSpec = MachineTypeName;

export interface HostnameStatusSpec {
  hostname: string;
  domainname: string;
}

export type HostnameLayer = 'default' | 'cmdline' | 'platform' | 'operator' | 'configuration';

export interface HostnameSpecSpec extends HostnameStatusSpec {
  layer: HostnameLayer;
}

export interface MemberSpec {
  nodeId: string;
  addresses: string[];
  /** FQDN */
  hostname: string;
  machineType: MachineTypeName;
  operatingSystem: string;
  /** Omitted for workers. */
  controlPlane?: {port: number};
}

export interface VersionSpec {
  name: string;
  version: string;
}

export interface IdentitySpec {
  nodeId: string;
}

/** Published only while the service is Running, so `running` is true whenever the resource exists. */
export interface ServiceSpec {
  running: boolean;
  healthy: boolean;
  /** No health check has reported yet, or the service has none. */
  unknown: boolean;
}

/** The value of one META key (the key is the id); a string, as Talos's. */
export interface MetaKeySpec {
  value: string;
}

/** The Kubernetes Pod object itself (apiVersion, kind, metadata, spec…), as JSON-compatible data. */
export type StaticPodSpec = Record<string, unknown>;

/** The Pod's status object itself (phase, conditions, containerStatuses…), as JSON-compatible data. */
export type StaticPodStatusSpec = Record<string, unknown>;

export const MACHINE_CONFIG_TYPE = 'MachineConfigs.config.talos.dev';
export const MACHINE_TYPE_TYPE = 'MachineTypes.config.talos.dev';
export const HOSTNAME_STATUS_TYPE = 'HostnameStatuses.net.talos.dev';
export const HOSTNAME_SPEC_TYPE = 'HostnameSpecs.net.talos.dev';
export const MEMBER_TYPE = 'Members.cluster.talos.dev';
export const VERSION_TYPE = 'Versions.runtime.talos.dev';
export const IDENTITY_TYPE = 'Identities.cluster.talos.dev';
export const SERVICE_TYPE = 'Services.v1alpha1.talos.dev';
export const STATIC_POD_TYPE = 'StaticPods.kubernetes.talos.dev';
export const STATIC_POD_STATUS_TYPE = 'StaticPodStatuses.kubernetes.talos.dev';
export const META_KEY_TYPE = 'MetaKeys.runtime.talos.dev';

/** Namespaces of a Talos node, with their descriptions (`meta` is the store's own). */
export const TALOS_NAMESPACES: ReadonlyArray<[string, string]> = [
  ['runtime', 'Talos v1alpha1 subsystems glue resources.'],
  ['cluster', 'Cluster configuration and discovery resources.'],
  ['cluster-raw', 'Cluster unmerged raw resources.'],
  ['config', 'Talos node configuration.'],
  ['etcd', 'etcd resources.'],
  ['files', 'Files and file-like resources.'],
  ['hardware', 'Hardware resources.'],
  ['k8s', 'Kubernetes all node types resources.'],
  ['controlplane', 'Kubernetes control plane resources.'],
  ['kubespan', 'KubeSpan resources.'],
  ['network', 'Networking resources.'],
  ['network-config', 'Networking configuration resources.'],
  ['cri', 'CRI Seccomp resources.'],
  ['containers', 'Talos-managed container resources.'],
  ['secrets', 'Resources with secret material.'],
  ['security', 'Security resources.'],
  ['perf', 'Stats resources.'],
  ['storage', 'Storage resources.'],
];

const MACHINE_TYPE_CONFIG_ENUM: Record<MachineTypeName, ConfigMachineType> = {
  unknown: ConfigMachineType.UNKNOWN,
  init: ConfigMachineType.INIT,
  controlplane: ConfigMachineType.CONTROL_PLANE,
  worker: ConfigMachineType.WORKER,
};

const MACHINE_TYPE_ENUM: Record<MachineTypeName, EnumsMachineType> = {
  unknown: EnumsMachineType.TYPE_UNKNOWN,
  init: EnumsMachineType.TYPE_INIT,
  controlplane: EnumsMachineType.TYPE_CONTROL_PLANE,
  worker: EnumsMachineType.TYPE_WORKER,
};

const HOSTNAME_LAYER_ENUM: Record<HostnameLayer, NetworkConfigLayer> = {
  default: NetworkConfigLayer.CONFIG_DEFAULT,
  cmdline: NetworkConfigLayer.CONFIG_CMDLINE,
  platform: NetworkConfigLayer.CONFIG_PLATFORM,
  operator: NetworkConfigLayer.CONFIG_OPERATOR,
  configuration: NetworkConfigLayer.CONFIG_MACHINE_CONFIGURATION,
};

const utf8 = new TextEncoder();

export const machineConfigType: ResourceTypeDefinition<MachineConfigSpec> = {
  type: MACHINE_CONFIG_TYPE,
  defaultNamespace: 'config',
  sensitive: true,
  // A YAML string scalar holding the config text (a literal block), not the parsed documents.
  yamlSpec: (text) => toGoYaml(text),
  protoSpec: (text) => MachineConfigSpecProto.encode({yamlMarshalled: utf8.encode(text)}).finish(),
};

export const machineTypeType: ResourceTypeDefinition<MachineTypeSpec> = {
  type: MACHINE_TYPE_TYPE,
  defaultNamespace: 'config',
  printColumns: [{name: 'Type', jsonPath: '{@}'}],
  yamlSpec: (machineType) => toGoYaml(machineType),
  protoSpec: (machineType) => MachineTypeSpecProto.encode({machineType: MACHINE_TYPE_CONFIG_ENUM[machineType]}).finish(),
};

// Each yamlSpec lists the keys in the Go struct's field order, whatever order a spec was built in.

export const hostnameStatusType: ResourceTypeDefinition<HostnameStatusSpec> = {
  type: HOSTNAME_STATUS_TYPE,
  defaultNamespace: 'network',
  aliases: ['hostname'],
  printColumns: [
    {name: 'Hostname', jsonPath: '{.hostname}'},
    {name: 'Domainname', jsonPath: '{.domainname}'},
  ],
  yamlSpec: ({hostname, domainname}) => toGoYaml({hostname, domainname}),
  protoSpec: (spec) => HostnameStatusSpecProto.encode(spec).finish(),
};

export const hostnameSpecType: ResourceTypeDefinition<HostnameSpecSpec> = {
  type: HOSTNAME_SPEC_TYPE,
  defaultNamespace: 'network',
  yamlSpec: ({hostname, domainname, layer}) => toGoYaml({hostname, domainname, layer}),
  protoSpec: (spec) =>
    HostnameSpecSpecProto.encode({
      hostname: spec.hostname,
      domainname: spec.domainname,
      configLayer: HOSTNAME_LAYER_ENUM[spec.layer],
    }).finish(),
};

export const memberType: ResourceTypeDefinition<MemberSpec> = {
  type: MEMBER_TYPE,
  defaultNamespace: 'cluster',
  printColumns: [
    {name: 'Hostname', jsonPath: '{.hostname}'},
    {name: 'Machine Type', jsonPath: '{.machineType}'},
    {name: 'OS', jsonPath: '{.operatingSystem}'},
    {name: 'Addresses', jsonPath: '{.addresses}'},
  ],
  yamlSpec: ({nodeId, addresses, hostname, machineType, operatingSystem, controlPlane}) =>
    toGoYaml({nodeId, addresses, hostname, machineType, operatingSystem, controlPlane}),
  protoSpec: (spec) =>
    MemberSpecProto.encode({
      nodeId: spec.nodeId,
      addresses: spec.addresses.flatMap((address): NetIP[] => {
        const ip = ipBytes(address);
        return ip === undefined ? [] : [{ip}];
      }),
      hostname: spec.hostname,
      machineType: MACHINE_TYPE_ENUM[spec.machineType],
      operatingSystem: spec.operatingSystem,
      controlPlane: spec.controlPlane === undefined ? undefined : {apiServerPort: BigInt(spec.controlPlane.port)},
    }).finish(),
};

export const versionType: ResourceTypeDefinition<VersionSpec> = {
  type: VERSION_TYPE,
  defaultNamespace: 'runtime',
  printColumns: [
    {name: 'Name', jsonPath: '{.name}'},
    {name: 'Version', jsonPath: '{.version}'},
  ],
  yamlSpec: ({name, version}) => toGoYaml({name, version}),
  protoSpec: (spec) => VersionSpecProto.encode(spec).finish(),
};

export const identityType: ResourceTypeDefinition<IdentitySpec> = {
  type: IDENTITY_TYPE,
  defaultNamespace: 'cluster',
  printColumns: [{name: 'ID', jsonPath: '{.nodeId}'}],
  yamlSpec: ({nodeId}) => toGoYaml({nodeId}),
  protoSpec: (spec) => IdentitySpecProto.encode(spec).finish(),
};

export const serviceType: ResourceTypeDefinition<ServiceSpec> = {
  type: SERVICE_TYPE,
  defaultNamespace: 'runtime',
  aliases: ['svc'],
  printColumns: [
    {name: 'Running', jsonPath: '{.running}'},
    {name: 'Healthy', jsonPath: '{.healthy}'},
    {name: 'Health Unknown', jsonPath: '{.unknown}'},
  ],
  yamlSpec: ({running, healthy, unknown}) => toGoYaml({running, healthy, unknown}),
  protoSpec: (spec) => ServiceSpecProto.encode(spec).finish(),
};

// Talos holds both Kubernetes objects as Go maps: the spec is the object itself (no wrapper key),
// its keys in Go map order; the proto carries it as a google.protobuf.Struct.

export const staticPodType: ResourceTypeDefinition<StaticPodSpec> = {
  type: STATIC_POD_TYPE,
  defaultNamespace: 'k8s',
  yamlSpec: (pod) => toGoYaml(inGoMapOrder(pod)),
  protoSpec: (pod) => StaticPodSpecProto.encode({pod}).finish(),
};

export const staticPodStatusType: ResourceTypeDefinition<StaticPodStatusSpec> = {
  type: STATIC_POD_STATUS_TYPE,
  defaultNamespace: 'k8s',
  aliases: ['podstatus'],
  printColumns: [{name: 'Ready', jsonPath: '{.conditions[?(@.type=="Ready")].status}'}],
  yamlSpec: (podStatus) => toGoYaml(inGoMapOrder(podStatus)),
  protoSpec: (podStatus) => StaticPodStatusSpecProto.encode({podStatus}).finish(),
};

export const metaKeyType: ResourceTypeDefinition<MetaKeySpec> = {
  type: META_KEY_TYPE,
  defaultNamespace: 'runtime',
  aliases: ['meta'],
  printColumns: [{name: 'Value', jsonPath: '{.value}'}],
  yamlSpec: ({value}) => toGoYaml({value}),
  protoSpec: (spec) => MetaKeySpecProto.encode(spec).finish(),
};

function resourceDefinitionProtoSpec(spec: ResourceDefinitionSpec): Uint8Array {
  return ResourceDefinitionSpecProto.encode({
    resourceType: spec.type,
    displayType: spec.displayType,
    defaultNamespace: spec.defaultNamespace,
    aliases: spec.aliases,
    allAliases: spec.allAliases,
    printColumns: spec.printColumns,
    sensitivity:
      spec.sensitivity === 'sensitive'
        ? ResourceDefinitionSpec_Sensitivity.SENSITIVE
        : ResourceDefinitionSpec_Sensitivity.NON_SENSITIVE,
  }).finish();
}

function namespaceProtoSpec(spec: NamespaceSpec): Uint8Array {
  return NamespaceSpecProto.encode(spec).finish();
}

/** A store holding the Talos namespaces and every type osd serves, with no resources yet. */
export function createNodeStore(): ResourceStore {
  const store = new ResourceStore({resourceDefinitionProtoSpec, namespaceProtoSpec});
  for (const [name, description] of TALOS_NAMESPACES) store.registerNamespace(name, description);
  for (const definition of [
    machineConfigType,
    machineTypeType,
    hostnameStatusType,
    hostnameSpecType,
    memberType,
    versionType,
    identityType,
    serviceType,
    staticPodType,
    staticPodStatusType,
    metaKeyType,
    etcFileSpecType,
    etcFileStatusType,
    platformMetadataType,
    linkStatusType,
    addressStatusType,
    routeStatusType,
    nodeAddressType,
    etcdMemberType,
  ] as ResourceTypeDefinition[]) {
    store.registerType(definition);
  }
  return store;
}
