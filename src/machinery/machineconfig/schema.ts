// Key whitelist and value shapes used while decoding. Every key Talos knows is
// listed, so a key missing here is reported as unknown; keys Talos knows but we
// do not model are `any` (accepted without looking inside).

export type Shape =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'int' }
  /** A string holding standard base64 (Talos certificate fields). */
  | { kind: 'base64' }
  /** Free-form value: anything is accepted. */
  | { kind: 'any' }
  /** "extraArgs" value: a string or a list of strings. */
  | { kind: 'args' }
  | { kind: 'list'; item: Shape }
  | { kind: 'map'; value: Shape }
  /** `goType` names the Go struct, for decode error messages. */
  | { kind: 'struct'; goType: string; fields: Record<string, Shape> };

export const str: Shape = { kind: 'string' };
export const bool: Shape = { kind: 'bool' };
export const int: Shape = { kind: 'int' };
export const any: Shape = { kind: 'any' };
const base64: Shape = { kind: 'base64' };
const args: Shape = { kind: 'args' };

export const list = (item: Shape): Shape => ({ kind: 'list', item });
export const map = (value: Shape): Shape => ({ kind: 'map', value });
export const struct = (goType: string, fields: Record<string, Shape>): Shape => ({ kind: 'struct', goType, fields });

const strings = list(str);
const stringMap = map(str);
const certAndKey = struct('x509.PEMEncodedCertificateAndKey', { crt: base64, key: base64 });
const acceptedCAs = list(struct('x509.PEMEncodedCertificate', { crt: base64 }));

const route = struct('v1alpha1.Route', { network: str, gateway: str, source: str, metric: int, mtu: int });
const dhcpOptions = struct('v1alpha1.DHCPOptions', { routeMetric: int, ipv4: bool, ipv6: bool, duidv6: str });
const deviceSelector = struct('v1alpha1.NetworkDeviceSelector', {
  busPath: str,
  hardwareAddr: str,
  permanentAddr: str,
  pciID: str,
  driver: str,
  physical: bool,
});
const vip = struct('v1alpha1.DeviceVIPConfig', {
  ip: str,
  equinixMetal: struct('v1alpha1.VIPEquinixMetalConfig', { apiToken: str }),
  hcloud: struct('v1alpha1.VIPHCloudConfig', { apiToken: str }),
});

const bond = struct('v1alpha1.Bond', {
  interfaces: strings,
  deviceSelectors: list(deviceSelector),
  arpIPTarget: strings,
  mode: str,
  xmitHashPolicy: str,
  lacpRate: str,
  adActorSystem: str,
  arpValidate: str,
  arpAllTargets: str,
  primary: str,
  primaryReselect: str,
  failOverMac: str,
  adSelect: str,
  miimon: int,
  updelay: int,
  downdelay: int,
  arpInterval: int,
  resendIgmp: int,
  minLinks: int,
  lpInterval: int,
  packetsPerSlave: int,
  numPeerNotif: int,
  tlbDynamicLb: int,
  allSlavesActive: int,
  useCarrier: bool,
  adActorSysPrio: int,
  adUserPortKey: int,
  peerNotifyDelay: int,
});

const device = struct('v1alpha1.Device', {
  interface: str,
  deviceSelector,
  addresses: strings,
  cidr: str,
  routes: list(route),
  bond,
  bridge: struct('v1alpha1.Bridge', {
    interfaces: strings,
    stp: struct('v1alpha1.STP', { enabled: bool }),
    vlan: struct('v1alpha1.BridgeVLAN', { vlanFiltering: bool }),
  }),
  bridgePort: struct('v1alpha1.BridgePort', { master: str }),
  vlans: list(
    struct('v1alpha1.Vlan', {
      addresses: strings,
      cidr: str,
      routes: list(route),
      dhcp: bool,
      vlanId: int,
      mtu: int,
      vip,
      dhcpOptions,
    }),
  ),
  mtu: int,
  dhcp: bool,
  ignore: bool,
  dummy: bool,
  dhcpOptions,
  wireguard: struct('v1alpha1.DeviceWireguardConfig', {
    privateKey: str,
    listenPort: int,
    firewallMark: int,
    peers: list(
      struct('v1alpha1.DeviceWireguardPeer', {
        publicKey: str,
        endpoint: str,
        persistentKeepaliveInterval: str,
        allowedIPs: strings,
      }),
    ),
  }),
  vip,
});

const machine = struct('v1alpha1.MachineConfig', {
  type: str,
  token: str,
  ca: certAndKey,
  acceptedCAs,
  certSANs: strings,
  controlPlane: any,
  kubelet: struct('v1alpha1.KubeletConfig', {
    image: str,
    clusterDNS: strings,
    extraArgs: map(args),
    extraMounts: list(
      struct('v1alpha1.ExtraMount', {
        destination: str,
        type: str,
        source: str,
        options: strings,
        uidMappings: any,
        gidMappings: any,
      }),
    ),
    extraConfig: any,
    credentialProviderConfig: any,
    defaultRuntimeSeccompProfileEnabled: bool,
    registerWithFQDN: bool,
    nodeIP: struct('v1alpha1.KubeletNodeIPConfig', { validSubnets: strings }),
    skipNodeRegistration: bool,
    disableManifestsDirectory: bool,
  }),
  pods: list(map(any)), // v1alpha1.Unstructured: a mapping each
  network: struct('v1alpha1.NetworkConfig', {
    hostname: str,
    interfaces: list(device),
    nameservers: strings,
    searchDomains: strings,
    extraHostEntries: list(struct('v1alpha1.ExtraHost', { ip: str, aliases: strings })),
    kubespan: struct('v1alpha1.NetworkKubeSpan', {
      enabled: bool,
      advertiseKubernetesNetworks: bool,
      allowDownPeerBypass: bool,
      harvestExtraEndpoints: bool,
      mtu: int,
      filters: struct('v1alpha1.KubeSpanFilters', { endpoints: strings, excludeAdvertisedNetworks: strings }),
    }),
    disableSearchDomain: bool,
  }),
  disks: any,
  install: struct('v1alpha1.InstallConfig', {
    disk: str,
    diskSelector: any,
    extraKernelArgs: strings,
    image: str,
    extensions: any,
    bootloader: bool,
    wipe: bool,
    legacyBIOSSupport: bool,
    grubUseUKICmdline: bool,
  }),
  files: any,
  env: stringMap,
  time: struct('v1alpha1.TimeConfig', { disabled: bool, servers: strings, bootTimeout: str }),
  sysctls: stringMap,
  sysfs: stringMap,
  registries: struct('v1alpha1.RegistriesConfig', {
    mirrors: map(
      struct('v1alpha1.RegistryMirrorConfig', { endpoints: strings, overridePath: bool, skipFallback: bool }),
    ),
    config: map(
      struct('v1alpha1.RegistryConfig', {
        tls: struct('v1alpha1.RegistryTLSConfig', { clientIdentity: certAndKey, ca: base64, insecureSkipVerify: bool }),
        auth: struct('v1alpha1.RegistryAuthConfig', { username: str, password: str, auth: str, identityToken: str }),
      }),
    ),
  }),
  systemDiskEncryption: any,
  features: struct('v1alpha1.FeaturesConfig', {
    rbac: bool,
    stableHostname: bool,
    kubernetesTalosAPIAccess: struct('v1alpha1.KubernetesTalosAPIAccessConfig', {
      enabled: bool,
      allowedRoles: strings,
      allowedKubernetesNamespaces: strings,
    }),
    apidCheckExtKeyUsage: bool,
    diskQuotaSupport: bool,
    kubePrism: struct('v1alpha1.KubePrism', { enabled: bool, port: int }),
    hostDNS: struct('v1alpha1.HostDNSConfig', { enabled: bool, forwardKubeDNSToHost: bool, resolveMemberNames: bool }),
    imageCache: any,
    nodeAddressSortAlgorithm: str,
  }),
  udev: any,
  logging: any,
  kernel: any,
  seccompProfiles: any,
  baseRuntimeSpecOverrides: any,
  nodeLabels: stringMap,
  nodeAnnotations: stringMap,
  nodeTaints: stringMap,
});

const cluster = struct('v1alpha1.ClusterConfig', {
  id: str,
  secret: str,
  controlPlane: struct('v1alpha1.ControlPlaneConfig', { endpoint: str, localAPIServerPort: int }),
  clusterName: str,
  network: struct('v1alpha1.ClusterNetworkConfig', {
    cni: struct('v1alpha1.CNIConfig', {
      name: str,
      urls: strings,
      flannel: struct('v1alpha1.FlannelCNIConfig', { extraArgs: strings, kubeNetworkPoliciesEnabled: bool }),
    }),
    dnsDomain: str,
    podSubnets: strings,
    serviceSubnets: strings,
  }),
  token: str,
  aescbcEncryptionSecret: str,
  secretboxEncryptionSecret: str,
  ca: certAndKey,
  acceptedCAs,
  aggregatorCA: certAndKey,
  serviceAccount: struct('x509.PEMEncodedKey', { key: base64 }),
  apiServer: any,
  controllerManager: any,
  proxy: any,
  scheduler: any,
  discovery: struct('v1alpha1.ClusterDiscoveryConfig', {
    enabled: bool,
    registries: struct('v1alpha1.DiscoveryRegistriesConfig', {
      kubernetes: struct('v1alpha1.RegistryKubernetesConfig', { disabled: bool }),
      service: struct('v1alpha1.RegistryServiceConfig', { disabled: bool, endpoint: str }),
    }),
  }),
  etcd: struct('v1alpha1.EtcdConfig', {
    image: str,
    ca: certAndKey,
    extraArgs: map(args),
    advertisedSubnets: strings,
    listenSubnets: strings,
    subnet: str,
  }),
  coreDNS: any,
  externalCloudProvider: struct('v1alpha1.ExternalCloudProviderConfig', { enabled: bool, manifests: strings }),
  extraManifests: strings,
  extraManifestHeaders: stringMap,
  inlineManifests: list(struct('v1alpha1.ClusterInlineManifest', { name: str, contents: str })),
  adminKubeconfig: any,
  allowSchedulingOnControlPlanes: bool,
  allowSchedulingOnMasters: bool,
});

export const v1alpha1Shape = struct('*v1alpha1.Config', {
  version: str,
  debug: bool,
  persist: bool,
  machine,
  cluster,
});

/** `apiVersion` + `kind` fields every non-v1alpha1 document carries. */
export const documentMeta = { apiVersion: str, kind: str };
