// Typed view of a Talos-style machine configuration (multi-document YAML).
// Field names are the YAML keys; everything is optional because Talos treats
// missing keys as zero values. Sections typed as `unknown` are known to Talos
// but not modelled here: they are accepted as-is (see schema.ts).

/** `{crt, key}` pair; both are base64 of PEM text, as Talos stores them. */
export interface CertAndKey {
  crt?: string;
  key?: string;
}

/** Either a single string or a list of strings ("extraArgs" maps). */
export type ArgValue = string | string[];

export interface Route {
  network?: string;
  gateway?: string;
  source?: string;
  metric?: number;
  mtu?: number;
}

export interface DHCPOptions {
  routeMetric?: number;
  ipv4?: boolean;
  ipv6?: boolean;
  duidv6?: string;
}

export interface DeviceSelector {
  busPath?: string;
  hardwareAddr?: string;
  permanentAddr?: string;
  pciID?: string;
  driver?: string;
  physical?: boolean;
}

export interface VIPConfig {
  ip?: string;
  equinixMetal?: { apiToken?: string };
  hcloud?: { apiToken?: string };
}

export interface Vlan {
  vlanId?: number;
  addresses?: string[];
  cidr?: string;
  routes?: Route[];
  dhcp?: boolean;
  dhcpOptions?: DHCPOptions;
  mtu?: number;
  vip?: VIPConfig;
}

export interface Bond {
  interfaces?: string[];
  deviceSelectors?: DeviceSelector[];
  mode?: string;
  xmitHashPolicy?: string;
  lacpRate?: string;
  adActorSystem?: string;
  arpValidate?: string;
  arpAllTargets?: string;
  primary?: string;
  primaryReselect?: string;
  failOverMac?: string;
  adSelect?: string;
  arpIPTarget?: string[];
  miimon?: number;
  updelay?: number;
  downdelay?: number;
  arpInterval?: number;
  resendIgmp?: number;
  minLinks?: number;
  lpInterval?: number;
  packetsPerSlave?: number;
  numPeerNotif?: number;
  tlbDynamicLb?: number;
  allSlavesActive?: number;
  useCarrier?: boolean;
  adActorSysPrio?: number;
  adUserPortKey?: number;
  peerNotifyDelay?: number;
}

export interface Bridge {
  interfaces?: string[];
  stp?: { enabled?: boolean };
  vlan?: { vlanFiltering?: boolean };
}

export interface WireguardPeer {
  publicKey?: string;
  endpoint?: string;
  persistentKeepaliveInterval?: string;
  allowedIPs?: string[];
}

export interface Wireguard {
  privateKey?: string;
  listenPort?: number;
  firewallMark?: number;
  peers?: WireguardPeer[];
}

export interface Device {
  interface?: string;
  deviceSelector?: DeviceSelector;
  addresses?: string[];
  cidr?: string;
  routes?: Route[];
  mtu?: number;
  dhcp?: boolean;
  dhcpOptions?: DHCPOptions;
  ignore?: boolean;
  dummy?: boolean;
  vip?: VIPConfig;
  vlans?: Vlan[];
  bond?: Bond;
  bridge?: Bridge;
  bridgePort?: { master?: string };
  wireguard?: Wireguard;
}

export interface KubeSpan {
  enabled?: boolean;
  advertiseKubernetesNetworks?: boolean;
  allowDownPeerBypass?: boolean;
  harvestExtraEndpoints?: boolean;
  mtu?: number;
  filters?: { endpoints?: string[]; excludeAdvertisedNetworks?: string[] };
}

export interface MachineNetwork {
  hostname?: string;
  nameservers?: string[];
  searchDomains?: string[];
  disableSearchDomain?: boolean;
  extraHostEntries?: Array<{ ip?: string; aliases?: string[] }>;
  interfaces?: Device[];
  kubespan?: KubeSpan;
}

export interface RegistryMirror {
  endpoints?: string[];
  overridePath?: boolean;
  skipFallback?: boolean;
}

export interface RegistryConfig {
  tls?: { clientIdentity?: CertAndKey; ca?: string; insecureSkipVerify?: boolean };
  auth?: { username?: string; password?: string; auth?: string; identityToken?: string };
}

export interface Registries {
  /** A `null` entry is kept so validation can report it, as Talos does. */
  mirrors?: Record<string, RegistryMirror | null>;
  config?: Record<string, RegistryConfig | null>;
}

export interface ExtraMount {
  destination?: string;
  type?: string;
  source?: string;
  options?: string[];
  uidMappings?: unknown;
  gidMappings?: unknown;
}

export interface Kubelet {
  image?: string;
  clusterDNS?: string[];
  extraArgs?: Record<string, ArgValue>;
  extraMounts?: ExtraMount[];
  /** Free-form kubelet configuration overrides. */
  extraConfig?: Record<string, unknown>;
  credentialProviderConfig?: unknown;
  defaultRuntimeSeccompProfileEnabled?: boolean;
  registerWithFQDN?: boolean;
  nodeIP?: { validSubnets?: string[] };
  skipNodeRegistration?: boolean;
  disableManifestsDirectory?: boolean;
}

export interface Install {
  disk?: string;
  diskSelector?: unknown;
  image?: string;
  wipe?: boolean;
  extraKernelArgs?: string[];
  extensions?: unknown;
  bootloader?: boolean;
  legacyBIOSSupport?: boolean;
  grubUseUKICmdline?: boolean;
}

export interface HostDNS {
  enabled?: boolean;
  forwardKubeDNSToHost?: boolean;
  resolveMemberNames?: boolean;
}

export interface Features {
  rbac?: boolean;
  stableHostname?: boolean;
  apidCheckExtKeyUsage?: boolean;
  diskQuotaSupport?: boolean;
  kubePrism?: { enabled?: boolean; port?: number };
  hostDNS?: HostDNS;
  kubernetesTalosAPIAccess?: { enabled?: boolean; allowedRoles?: string[]; allowedKubernetesNamespaces?: string[] };
  imageCache?: unknown;
  nodeAddressSortAlgorithm?: string;
}

export interface MachineSection {
  type?: string;
  token?: string;
  ca?: CertAndKey;
  acceptedCAs?: Array<{ crt?: string }>;
  certSANs?: string[];
  /** Static pods; free-form Pod objects, never validated (as in Talos). */
  pods?: Array<Record<string, unknown>>;
  network?: MachineNetwork;
  time?: { disabled?: boolean; servers?: string[]; bootTimeout?: string };
  registries?: Registries;
  kubelet?: Kubelet;
  install?: Install;
  features?: Features;
  env?: Record<string, string>;
  sysctls?: Record<string, string>;
  sysfs?: Record<string, string>;
  nodeLabels?: Record<string, string>;
  nodeAnnotations?: Record<string, string>;
  nodeTaints?: Record<string, string>;
  controlPlane?: unknown;
  disks?: unknown;
  files?: unknown;
  systemDiskEncryption?: unknown;
  udev?: unknown;
  logging?: unknown;
  kernel?: unknown;
  seccompProfiles?: unknown;
  baseRuntimeSpecOverrides?: unknown;
}

export interface ClusterSection {
  id?: string;
  secret?: string;
  clusterName?: string;
  controlPlane?: { endpoint?: string; localAPIServerPort?: number };
  network?: {
    dnsDomain?: string;
    podSubnets?: string[];
    serviceSubnets?: string[];
    cni?: { name?: string; urls?: string[]; flannel?: { extraArgs?: string[]; kubeNetworkPoliciesEnabled?: boolean } };
  };
  token?: string;
  ca?: CertAndKey;
  acceptedCAs?: Array<{ crt?: string }>;
  aggregatorCA?: CertAndKey;
  serviceAccount?: { key?: string };
  secretboxEncryptionSecret?: string;
  aescbcEncryptionSecret?: string;
  etcd?: {
    image?: string;
    ca?: CertAndKey;
    extraArgs?: Record<string, ArgValue>;
    advertisedSubnets?: string[];
    listenSubnets?: string[];
    subnet?: string;
  };
  discovery?: {
    enabled?: boolean;
    registries?: { kubernetes?: { disabled?: boolean }; service?: { disabled?: boolean; endpoint?: string } };
  };
  externalCloudProvider?: { enabled?: boolean; manifests?: string[] };
  inlineManifests?: Array<{ name?: string; contents?: string }>;
  extraManifests?: string[];
  extraManifestHeaders?: Record<string, string>;
  allowSchedulingOnControlPlanes?: boolean;
  allowSchedulingOnMasters?: boolean;
  apiServer?: unknown;
  controllerManager?: unknown;
  proxy?: unknown;
  scheduler?: unknown;
  coreDNS?: unknown;
  adminKubeconfig?: unknown;
}

/** The v1alpha1 document (the one with `machine`/`cluster` keys). */
export interface V1Alpha1Config {
  version?: string;
  debug?: boolean;
  persist?: boolean;
  machine?: MachineSection;
  cluster?: ClusterSection;
}

interface DocumentMeta<K extends string> {
  apiVersion: 'v1alpha1';
  kind: K;
}

export interface HostnameConfigDocument extends DocumentMeta<'HostnameConfig'> {
  auto?: string;
  hostname?: string;
}

export interface ExtensionServiceConfigDocument extends DocumentMeta<'ExtensionServiceConfig'> {
  name?: string;
  configFiles?: Array<{ content?: string; mountPath?: string }>;
  environment?: string[];
}

export interface ResolverConfigDocument extends DocumentMeta<'ResolverConfig'> {
  nameservers?: Array<{ address?: string; protocol?: string; tlsServerName?: string }>;
  searchDomains?: { domains?: string[]; disableDefault?: boolean };
  hostDNS?: HostDNS;
}

export interface TimeSyncConfigDocument extends DocumentMeta<'TimeSyncConfig'> {
  enabled?: boolean;
  bootTimeout?: string;
  ntp?: { servers?: string[]; useNTS?: boolean };
  ptp?: { devices?: string[] };
}

export interface StaticHostConfigDocument extends DocumentMeta<'StaticHostConfig'> {
  /** The IP address the host names resolve to. */
  name?: string;
  hostnames?: string[];
}

export interface RegistryMirrorConfigDocument extends DocumentMeta<'RegistryMirrorConfig'> {
  /** Registry host, `*` for every registry. */
  name?: string;
  endpoints?: Array<{ url?: string; overridePath?: boolean }>;
  skipFallback?: boolean;
}

export interface KubeStaticPodConfigDocument extends DocumentMeta<'KubeStaticPodConfig'> {
  name?: string;
  /** Free-form Pod object. */
  pod?: Record<string, unknown>;
}

export type ConfigDocument =
  | HostnameConfigDocument
  | ExtensionServiceConfigDocument
  | ResolverConfigDocument
  | TimeSyncConfigDocument
  | StaticHostConfigDocument
  | RegistryMirrorConfigDocument
  | KubeStaticPodConfigDocument;

export type DocumentKind = ConfigDocument['kind'];

/** A parsed machine configuration: the v1alpha1 document plus the others, in submitted order. */
export interface MachineConfigDocument {
  /** The submitted text, unchanged. */
  raw: string;
  /** The submitted bytes, unchanged (the UTF-8 encoding of `raw` when a string was given). */
  bytes: Uint8Array;
  v1alpha1?: V1Alpha1Config;
  documents: ConfigDocument[];
}
