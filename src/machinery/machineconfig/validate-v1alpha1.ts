import { isKnownRole } from '../roles.js';
import { parseMachineType } from './accessors.js';
import type { Problem, ProblemNode } from './errors.js';
import {
  addressContainsPort,
  checkDNS1123Subdomain,
  checkEndpointURI,
  checkIPOrCIDR,
  decodeBase64Length,
  isSubnetOrAddress,
  isValidDNSName,
  parseCIDR,
  parseIP,
  parseURL,
} from './net.js';
import type { Bond, ClusterSection, Device, V1Alpha1Config, Wireguard } from './types.js';

// Checks of the v1alpha1 document, in the order Talos runs them, with its
// wording. Every problem carries the path of the field it is about.

export type ValidationMode = 'metal' | 'container' | 'local';

export interface ValidationOptions {
  /** `metal` checks install settings; `container` requires host DNS; `local` is client-side only. */
  mode: ValidationMode;
  /** Turn warnings into errors (`talosctl validate --strict`). */
  strict?: boolean;
}

/** Go's `%q` for the strings that appear in these messages. */
const quote = (value: string) => JSON.stringify(value);

const problem = (path: string, message: string): Problem => ({ path, message });

const MUTUALLY_EXCLUSIVE = 'config sections are mutually exclusive';
const INVALID_ADDRESS = 'invalid network address';
const KUBESPAN_MINIMUM_MTU = 1280;
const DEFAULT_DISCOVERY_ENDPOINT = 'https://discovery.talos.dev/';

/** kubelet configuration fields Talos manages itself. */
const protectedKubeletFields = [
  'apiVersion',
  'authentication',
  'authorization',
  'cgroupRoot',
  'kind',
  'kubeletCgroups',
  'port',
  'protectKernelDefaults',
  'resolvConf',
  'rotateCertificates',
  'systemCgroups',
  'staticPodPath',
  'seccompDefault',
];

const reservedAnnotations = new Set(['talos.dev/owned-labels', 'talos.dev/owned-annotations', 'talos.dev/owned-taints']);
const taintEffects = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

const isNonEmpty = (value: unknown) =>
  Array.isArray(value) ? value.length > 0 : typeof value === 'object' && value !== null && Object.keys(value).length > 0;

// --- labels, annotations, taints (Talos' port of the Kubernetes rules) ---

const qualifiedName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function checkQualifiedName(value: string): string | undefined {
  const parts = value.split('/');
  if (parts.length > 2) return `invalid format: too many slashes: ${quote(value)}`;
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix === '') return `prefix cannot be empty: ${quote(value)}`;
    const invalid = checkDNS1123Subdomain(prefix);
    if (invalid) return `prefix ${quote(prefix)} is invalid: ${invalid}`;
  }
  if (name === '') return `name cannot be empty: ${quote(value)}`;
  if (name.length > 63) return `name is too long: ${quote(value)} (limit is 63)`;
  if (!qualifiedName.test(name)) return `name ${quote(name)} is invalid`;
  return undefined;
}

function checkLabelValue(value: string): string | undefined {
  if (value.length > 63) return `label value length exceeds limit of 63: ${quote(value)}`;
  if (value !== '' && !qualifiedName.test(value)) return `label value ${quote(value)} is invalid`;
  return undefined;
}

/** Talos checks map entries in key order. */
const sortedEntries = (values: Record<string, string> = {}) => Object.keys(values).sort().map((key) => [key, values[key]] as const);

function labelProblems(labels: Record<string, string> | undefined): Problem[] {
  return sortedEntries(labels).flatMap(([key, value]) => {
    const path = `machine.nodeLabels[${quote(key)}]`;
    return [checkQualifiedName(key), checkLabelValue(value ?? '')].flatMap((m) => (m ? [problem(path, m)] : []));
  });
}

function annotationProblems(annotations: Record<string, string> | undefined): Problem[] {
  const problems: Problem[] = [];
  let size = 0;
  for (const [key, value] of sortedEntries(annotations)) {
    const path = `machine.nodeAnnotations[${quote(key)}]`;
    const invalid = checkQualifiedName(key);
    if (invalid) problems.push(problem(path, invalid));
    if (reservedAnnotations.has(key)) problems.push(problem(path, `annotation ${quote(key)} is reserved`));
    size += Buffer.byteLength(key) + Buffer.byteLength(value ?? '');
  }
  if (size > 256 * 1024) problems.push(problem('machine.nodeAnnotations', 'total annotation size exceeds limit of 262144 bytes'));
  return problems;
}

function taintProblems(taints: Record<string, string> | undefined): Problem[] {
  const problems: Problem[] = [];
  for (const [key, taint] of sortedEntries(taints)) {
    const path = `machine.nodeTaints[${quote(key)}]`;
    const invalid = checkQualifiedName(key);
    if (invalid) {
      problems.push(problem(path, invalid));
      continue;
    }
    const colon = (taint ?? '').indexOf(':');
    const value = colon < 0 ? '' : taint.slice(0, colon);
    const effect = colon < 0 ? (taint ?? '') : taint.slice(colon + 1);
    if (!taintEffects.has(effect)) {
      problems.push(problem(path, `invalid taint effect: ${quote(effect)}`));
      continue;
    }
    const invalidValue = colon < 0 ? undefined : checkLabelValue(value);
    if (invalidValue) problems.push(problem(path, invalidValue));
  }
  return problems;
}

// --- network ---

const bondModes = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'];

/** Bond enum fields: allowed values (empty means the first) and Talos' error wording. */
const bondEnums: Array<{ field: keyof Bond; values: string[]; error: string }> = [
  { field: 'mode', values: bondModes, error: 'invalid bond type' },
  { field: 'xmitHashPolicy', values: ['layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4'], error: 'invalid xmit hash policy' },
  { field: 'lacpRate', values: ['slow', 'fast'], error: 'invalid lacp rate' },
  { field: 'arpValidate', values: ['none', 'active', 'backup', 'all'], error: 'invalid arp_validate mode' },
  { field: 'arpAllTargets', values: ['any', 'all'], error: 'invalid arp_all_targets mode' },
  { field: 'primaryReselect', values: ['always', 'better', 'failure'], error: 'invalid primary_reselect mode' },
  { field: 'failOverMac', values: ['none', 'active', 'follow'], error: 'invalid fail_over_mac value' },
  { field: 'adSelect', values: ['stable', 'bandwidth', 'count'], error: 'invalid ad_select mode' },
];

function bondProblems(bond: Bond, path: string): Problem[] {
  const problems: Problem[] = [];
  const add = (field: string, message: string) => problems.push(problem(`${path}.${field}`, message));

  for (const { field, values, error } of bondEnums) {
    const value = (bond[field] as string | undefined) ?? '';
    if (value !== '' && !values.includes(value)) add(field, `${error} ${value}`);
  }
  // An invalid mode counts as the default (balance-rr) for the checks below, as in Talos.
  const mode = bondModes.includes(bond.mode ?? '') ? bond.mode || 'balance-rr' : 'balance-rr';
  const miimon = bond.miimon ?? 0;
  const updelay = bond.updelay ?? 0;
  const downdelay = bond.downdelay ?? 0;
  if (miimon === 0) {
    if (updelay !== 0) add('updelay', "bond.upDelay can't be set if miiMon is zero");
    if (downdelay !== 0) add('downdelay', "bond.downDelay can't be set if miiMon is zero");
  } else {
    if (updelay % miimon !== 0) add('updelay', 'bond.upDelay should be a multiple of miiMon');
    if (downdelay % miimon !== 0) add('downdelay', 'bond.downDelay should be a multiple of miiMon');
  }
  const lacpOrLoadBalancing = mode === '802.3ad' || mode === 'balance-alb' || mode === 'balance-tlb';
  const loadBalancing = mode === 'balance-alb' || mode === 'balance-tlb';
  if ((bond.arpIPTarget ?? []).length > 0) add('arpIPTarget', 'bond.arpIPTarget is not supported');
  if (bond.lacpRate && mode !== '802.3ad') add('lacpRate', 'bond.lacpRate is only available in 802.3ad mode');
  if (bond.adActorSystem) add('adActorSystem', 'bond.adActorSystem is not supported');
  if (lacpOrLoadBalancing && bond.arpValidate) add('arpValidate', `bond.arpValidate is not available in ${mode} mode`);
  if (!(mode === 'active-backup' || loadBalancing) && bond.primary) add('primary', `bond.primary is not available in ${mode} mode`);
  if (lacpOrLoadBalancing && (bond.arpInterval ?? 0) > 0) add('arpInterval', `bond.arpInterval is not available in ${mode} mode`);
  if (mode !== 'balance-rr' && (bond.packetsPerSlave ?? 0) > 1) add('packetsPerSlave', `bond.packetsPerSlave is not available in ${mode} mode`);
  if (!loadBalancing && (bond.tlbDynamicLb ?? 0) > 0) add('tlbDynamicLb', `bond.tlbDynamicTLB is not available in ${mode} mode`);
  if (mode !== '802.3ad' && (bond.adActorSysPrio ?? 0) > 0) add('adActorSysPrio', 'bond.adActorSysPrio is only available in 802.3ad mode');
  if (mode !== '802.3ad' && (bond.adUserPortKey ?? 0) > 0) add('adUserPortKey', 'bond.adUserPortKey is only available in 802.3ad mode');
  return problems;
}

function wireguardKeyError(key: string): string | undefined {
  const length = decodeBase64Length(key);
  if (typeof length !== 'number') return length.error;
  return length === 32 ? undefined : `wrong key ${quote(key)} length: ${length}`;
}

function wireguardProblems(wireguard: Wireguard, path: string): Problem[] {
  const problems: Problem[] = [];
  const privateKeyError = wireguardKeyError(wireguard.privateKey ?? '');
  if (privateKeyError) problems.push(problem(`${path}.privateKey`, `private key is invalid: ${privateKeyError}`));
  for (const [i, peer] of (wireguard.peers ?? []).entries()) {
    const peerPath = `${path}.peers[${i}]`;
    const publicKeyError = wireguardKeyError(peer.publicKey ?? '');
    if (publicKeyError) problems.push(problem(`${peerPath}.publicKey`, `public key invalid: ${publicKeyError}`));
    if (peer.endpoint && !addressContainsPort(peer.endpoint)) {
      problems.push(problem(`${peerPath}.endpoint`, `peer endpoint ${quote(peer.endpoint)} is invalid`));
    }
    for (const [j, allowedIP] of (peer.allowedIPs ?? []).entries()) {
      const invalid = parseCIDR(allowedIP);
      if (invalid) problems.push(problem(`${peerPath}.allowedIPs[${j}]`, `peer allowed IP ${quote(allowedIP)} is invalid: ${invalid}`));
    }
  }
  return problems;
}

/** Talos `CheckDeviceInterface`. */
function deviceInterfaceProblems(device: Device, path: string): Problem[] {
  const problems: Problem[] = [];
  const name = device.interface ?? '';
  const both = '[networking.os.device.interface], [networking.os.device.deviceSelector]';
  if (name === '' && !device.deviceSelector) {
    problems.push(problem(`${path}.interface`, `${both}: required either config section to be set`));
  } else if (name !== '' && device.deviceSelector) {
    problems.push(problem(`${path}.deviceSelector`, `${both}: ${MUTUALLY_EXCLUSIVE}`));
  }
  if (device.deviceSelector && !Object.values(device.deviceSelector).some((v) => v !== '' && v !== false)) {
    problems.push(problem(`${path}.deviceSelector`, '[networking.os.device.deviceSelector]: config section should contain at least one field'));
  }
  if (device.bond) problems.push(...bondProblems(device.bond, `${path}.bond`));
  if (device.wireguard) problems.push(...wireguardProblems(device.wireguard, `${path}.wireguard`));
  for (const [j, vlan] of (device.vlans ?? []).entries()) {
    const vlanPath = `${path}.vlans[${j}]`;
    const label = `${name}.${vlan.vlanId ?? 0}`;
    if ((vlan.addresses ?? []).length > 0 && vlan.cidr) {
      problems.push(problem(vlanPath, `[networking.os.device.vlan] ${label}: vlan can't have both .cidr and .addresses set`));
    }
    const cidrError = vlan.cidr ? checkIPOrCIDR(vlan.cidr) : undefined;
    if (cidrError) problems.push(problem(`${vlanPath}.cidr`, `[networking.os.device.vlan.CIDR] ${label}: ${cidrError}`));
    for (const [k, address] of (vlan.addresses ?? []).entries()) {
      const invalid = checkIPOrCIDR(address);
      if (invalid) problems.push(problem(`${vlanPath}.addresses[${k}]`, `[networking.os.device.vlan.addresses] ${label}: ${invalid}`));
    }
  }
  return problems;
}

/** Talos `CheckDeviceAddressing`. */
function deviceAddressingProblems(device: Device, path: string, bondedOrBridged: Map<string, string>, warnings: string[]): Problem[] {
  const problems: Problem[] = [];
  const name = device.interface ?? '';
  const addresses = device.addresses ?? [];
  if (bondedOrBridged.has(name) && (device.dhcp || device.cidr || addresses.length > 0 || device.vip)) {
    problems.push(problem(path, `[networking.os.device] ${quote(name)}: bonded/bridged interface shouldn't have any addressing methods configured`));
  }
  if (addresses.length > 0 && device.cidr) {
    problems.push(problem(`${path}.cidr`, `[networking.os.device] ${quote(name)}: interface can't have both .cidr and .addresses set`));
  }
  if (device.cidr) {
    const invalid = checkIPOrCIDR(device.cidr);
    if (invalid) problems.push(problem(`${path}.cidr`, `[networking.os.device.CIDR] ${quote(name)}: ${invalid}`));
    warnings.push(`${quote(name)}: machine.network.interface.cidr is deprecated, please use machine.network.interface.addresses`);
  }
  for (const [k, address] of addresses.entries()) {
    const invalid = checkIPOrCIDR(address);
    if (invalid) problems.push(problem(`${path}.addresses[${k}]`, `[networking.os.device.addresses] ${quote(name)}: ${invalid}`));
  }
  if (device.vip && !parseIP(device.vip.ip ?? '')) {
    problems.push(problem(`${path}.vip.ip`, `[networking.os.device.vip] failed to parse ${quote(device.vip.ip ?? '')} as IP address`));
  }
  return problems;
}

/** Talos `CheckDeviceRoutes` (VLAN routes are not checked, as in Talos). */
function deviceRouteProblems(device: Device, path: string): Problem[] {
  const problems: Problem[] = [];
  for (const [i, route] of (device.routes ?? []).entries()) {
    const routePath = `${path}.routes[${i}]`;
    const tag = `networking.os.device.route[${i}]`;
    if (route.network && parseCIDR(route.network)) {
      problems.push(problem(`${routePath}.network`, `[${tag}.network] ${quote(route.network)}: ${INVALID_ADDRESS}`));
    }
    if (route.gateway && !parseIP(route.gateway)) {
      problems.push(problem(`${routePath}.gateway`, `[${tag}.gateway] ${quote(route.gateway)}: ${INVALID_ADDRESS}`));
    }
    if (!route.gateway && !route.network) {
      problems.push(problem(routePath, `[${tag}]: either network or gateway should be set`));
    }
    if (route.source && !parseIP(route.source)) {
      problems.push(problem(`${routePath}.source`, `[${tag}.source] ${quote(route.source)}: ${INVALID_ADDRESS}`));
    }
  }
  return problems;
}

function networkProblems(interfaces: Device[], warnings: string[]): Problem[] {
  const problems: Problem[] = [];
  // Bond/bridge member -> the link it belongs to.
  const bondedOrBridged = new Map<string, string>();
  for (const [i, device] of interfaces.entries()) {
    const path = `machine.network.interfaces[${i}]`;
    const name = device.interface ?? '';
    if (device.bond && device.bridge) {
      problems.push(problem(path, `interface has both bridge and bond sections set ${quote(name)}: ${MUTUALLY_EXCLUSIVE}`));
    }
    let members: string[] = [];
    if (device.bond) {
      members = device.bond.interfaces ?? [];
      if (members.length > 0 && (device.bond.deviceSelectors ?? []).length > 0) {
        problems.push(problem(`${path}.bond`, `interface ${quote(name)} has both interfaces and selectors set: ${MUTUALLY_EXCLUSIVE}`));
      }
    }
    if (device.bridge) members = device.bridge.interfaces ?? [];
    for (const member of members) {
      const other = bondedOrBridged.get(member);
      if (other !== undefined && other !== name) {
        problems.push(problem(path, `interface ${quote(member)} is declared as part of two separate links: ${quote(other)} and ${quote(name)}`));
      }
      bondedOrBridged.set(member, name);
    }
  }
  for (const [i, device] of interfaces.entries()) {
    if (device.ignore) continue;
    const path = `machine.network.interfaces[${i}]`;
    problems.push(
      ...deviceInterfaceProblems(device, path),
      ...deviceAddressingProblems(device, path, bondedOrBridged, warnings),
      ...deviceRouteProblems(device, path),
    );
  }
  return problems;
}

// --- cluster ---

function cniProblems(cluster: ClusterSection, warnings: string[]): Problem[] {
  const cni = cluster.network?.cni;
  const name = cni ? (cni.name ?? '') : 'flannel';
  const urls = cni?.urls ?? [];
  const path = 'cluster.network.cni';
  const problems: Problem[] = [];
  const flannelSettings = () => {
    if ((cni?.flannel?.extraArgs ?? []).length > 0) {
      problems.push(problem(`${path}.flannel.extraArgs`, `"flanneldExtraArgs" field should be empty for ${quote(name)} CNI`));
    }
    if (cni?.flannel?.kubeNetworkPoliciesEnabled) {
      problems.push(problem(`${path}.flannel.kubeNetworkPoliciesEnabled`, `"flannelKubeNetworkPoliciesEnabled" should not be enabled for ${quote(name)} CNI`));
    }
  };
  switch (name) {
    case 'flannel':
      if (urls.length > 0) problems.push(problem(`${path}.urls`, `"urls" field should be empty for ${quote(name)} CNI`));
      break;
    case 'none':
      if (urls.length > 0) problems.push(problem(`${path}.urls`, `"urls" field should be empty for ${quote(name)} CNI`));
      flannelSettings();
      break;
    case 'custom':
      if (urls.length === 0) warnings.push(`"urls" field should not be empty for ${quote(name)} CNI`);
      flannelSettings();
      for (const [i, url] of urls.entries()) {
        const invalid = checkEndpointURI(url);
        if (invalid) problems.push(problem(`${path}.urls[${i}]`, invalid));
      }
      break;
    default:
      problems.push(problem(`${path}.name`, 'cni name should be one of ["flannel", "custom", "none"]'));
  }
  return problems;
}

function etcdProblems(etcd: NonNullable<ClusterSection['etcd']>): Problem[] {
  const problems: Problem[] = [];
  const path = 'cluster.etcd';
  if (!etcd.ca) problems.push(problem(`${path}.ca`, 'key/cert combination should not be empty'));
  const advertised = etcd.advertisedSubnets ?? [];
  const listen = etcd.listenSubnets ?? [];
  if (etcd.subnet && advertised.length > 0) problems.push(problem(`${path}.subnet`, "etcd subnet can't be set when advertised subnets are set"));

  // Talos checks the effective lists: advertised falls back to the deprecated
  // `subnet`, listen falls back to advertised (so a bad subnet is reported twice).
  const located = (field: string, values: string[]) =>
    values.map((value, i) => ({ path: field === 'subnet' ? `${path}.subnet` : `${path}.${field}[${i}]`, value }));
  const effectiveAdvertised =
    advertised.length > 0 ? located('advertisedSubnets', advertised) : etcd.subnet ? located('subnet', [etcd.subnet]) : [];
  const effectiveListen = listen.length > 0 ? located('listenSubnets', listen) : effectiveAdvertised;
  for (const [label, subnets] of [['advertised', effectiveAdvertised], ['listen', effectiveListen]] as const) {
    for (const subnet of subnets) {
      const cidr = subnet.value.replace(/^!/, '');
      if (!isSubnetOrAddress(cidr)) problems.push(problem(subnet.path, `etcd ${label} subnet is not valid: ${quote(cidr)}`));
    }
  }
  return problems;
}

function clusterProblems(cluster: ClusterSection | undefined, isControlPlane: boolean): Problem[] {
  if (!cluster) return [problem('cluster', 'cluster instructions are required')];
  const problems: Problem[] = [];
  if (cluster.controlPlane) {
    const endpoint = cluster.controlPlane.endpoint;
    if (!endpoint) return [problem('cluster.controlPlane.endpoint', 'cluster controlplane endpoint is required')];
    const invalid = checkEndpointURI(endpoint);
    if (invalid) problems.push(problem('cluster.controlPlane.endpoint', `invalid controlplane endpoint: ${invalid}`));
  }
  const dnsDomain = cluster.network?.dnsDomain;
  if (dnsDomain && !isValidDNSName(dnsDomain)) {
    problems.push(problem('cluster.network.dnsDomain', `${quote(dnsDomain)} is not a valid DNS name`));
  }
  const cloudProvider = cluster.externalCloudProvider;
  if (cloudProvider) {
    const manifests = cloudProvider.manifests ?? [];
    if (!cloudProvider.enabled && manifests.length > 0) {
      problems.push(problem('cluster.externalCloudProvider.manifests', 'external cloud provider is disabled, but manifests are provided'));
    } else {
      for (const [i, url] of manifests.entries()) {
        const invalid = checkEndpointURI(url);
        if (invalid) {
          problems.push(problem(`cluster.externalCloudProvider.manifests[${i}]`, `invalid external cloud provider manifest url ${quote(url)}: ${invalid}`));
        }
      }
    }
  }
  if (cluster.etcd) {
    if (isControlPlane) problems.push(...etcdProblems(cluster.etcd));
    else problems.push(problem('cluster.etcd', 'etcd config is only allowed on control plane machines'));
  }
  if (cluster.ca?.key && !isControlPlane) {
    problems.push(problem('cluster.ca.key', 'cluster CA key is not allowed on non-controlplane nodes (.cluster.ca)'));
  }
  const manifestNames = new Set<string>();
  for (const [i, manifest] of (cluster.inlineManifests ?? []).entries()) {
    const name = manifest.name ?? '';
    if (name.trim() === '') problems.push(problem(`cluster.inlineManifests[${i}].name`, "inline manifest name can't be empty"));
    if (manifestNames.has(name)) problems.push(problem(`cluster.inlineManifests[${i}].name`, `inline manifest name ${quote(name)} is duplicate`));
    manifestNames.add(name);
  }
  const discovery = cluster.discovery;
  if (discovery?.enabled && !discovery.registries?.service?.disabled) {
    const path = 'cluster.discovery.registries.service.endpoint';
    const endpoint = discovery.registries?.service?.endpoint || DEFAULT_DISCOVERY_ENDPOINT;
    const url = parseURL(endpoint, true);
    if ('error' in url) problems.push(problem(path, `cluster discovery service registry endpoint is invalid: ${url.error}`));
    else if (url.path !== '' && url.path !== '/') problems.push(problem(path, 'cluster discovery service path should be empty'));
    if (!cluster.id) problems.push(problem('cluster.id', 'cluster discovery service requires .cluster.id'));
    if (!cluster.secret) problems.push(problem('cluster.secret', 'cluster discovery service requires .cluster.secret'));
  }
  return problems;
}

/** Validates the v1alpha1 document; problems are in Talos' order (its multierror list). */
export function validateV1Alpha1(config: V1Alpha1Config, options: ValidationOptions): { problems: ProblemNode[]; warnings: string[] } {
  const machine = config.machine;
  if (!machine) return { problems: [problem('machine', 'machine instructions are required')], warnings: [] };

  const problems: ProblemNode[] = [];
  let warnings: string[] = [];
  const add = (path: string, message: string) => problems.push(problem(path, message));

  if (isNonEmpty(machine.files)) warnings.push('.machine.files is deprecated; use dedicated configuration documents instead');
  if (isNonEmpty(machine.baseRuntimeSpecOverrides)) {
    warnings.push('.machine.baseRuntimeSpecOverrides is deprecated; use a CRIBaseRuntimeSpecConfig document instead');
  }

  const type = parseMachineType(machine.type);
  const isControlPlane = type === 'init' || type === 'controlplane';
  problems.push(...clusterProblems(config.cluster, isControlPlane));

  const install = machine.install;
  if (options.mode === 'metal' && install) {
    if (!install.disk && !isNonEmpty(install.diskSelector)) add('machine.install.disk', 'either install disk or diskSelector should be defined');
    if ((install.extraKernelArgs ?? []).length > 0 && install.grubUseUKICmdline) {
      add('machine.install.extraKernelArgs', "install.extraKernelArgs and install.grubUseUKICmdline can't be used together");
    }
  }

  const hostDNS = machine.features?.hostDNS;
  if (hostDNS?.forwardKubeDNSToHost && !hostDNS.enabled) {
    add('machine.features.hostDNS.forwardKubeDNSToHost', 'feature hostDNS.forwardKubeDNSToHost requires hostDNS.enabled to be true (.machine.features.hostDNS)');
  }

  if (type !== 'unknown' && type !== (machine.type ?? '')) {
    warnings.push(`use ${quote(type)} instead of ${quote(machine.type ?? '')} for machine type`);
  }

  const issuingCA = machine.ca;
  const acceptedCAs = machine.acceptedCAs ?? [];
  if (!issuingCA && acceptedCAs.length === 0) add('machine.ca', 'issuing CA or some accepted CAs are required (.machine.ca, machine.acceptedCAs)');

  const interfaces = machine.network?.interfaces ?? [];
  switch (type) {
    case 'init':
    case 'controlplane':
      if (config.cluster?.network) problems.push(...cniProblems(config.cluster, warnings));
      if (!issuingCA) add('machine.ca', 'issuing CA is required (.machine.ca)');
      else if (!issuingCA.key) add('machine.ca.key', 'issuing CA key is required for controlplane nodes (.machine.ca.key)');
      break;
    case 'worker':
      for (const [i, device] of interfaces.entries()) {
        const vipError = 'virtual (shared) IP is not allowed on non-controlplane nodes';
        if (device.vip) add(`machine.network.interfaces[${i}].vip`, vipError);
        for (const [j, vlan] of (device.vlans ?? []).entries()) {
          if (vlan.vip) add(`machine.network.interfaces[${i}].vlans[${j}].vip`, vipError);
        }
      }
      if (issuingCA) {
        if (issuingCA.key) add('machine.ca.key', 'issuing Talos API CA key is not allowed on non-controlplane nodes (.machine.ca)');
        if (!issuingCA.crt && acceptedCAs.length === 0) {
          add('machine.ca.crt', 'trusted CA certificates are required on non-controlplane nodes (.machine.ca.crt, .machine.acceptedCAs)');
        }
      }
      if (config.cluster?.ca?.key) add('cluster.ca.key', 'issuing Kubernetes API CA key is not allowed on non-controlplane nodes (.cluster.ca)');
      break;
    default:
      add('machine.type', `unknown machine type ${quote(machine.type ?? '')}`);
  }

  if (machine.network) {
    problems.push(...networkProblems(interfaces, warnings));
    const kubespan = machine.network.kubespan;
    if (kubespan?.enabled && kubespan.mtu && kubespan.mtu < KUBESPAN_MINIMUM_MTU) {
      add('machine.network.kubespan.mtu', `kubespan link MTU must be at least ${KUBESPAN_MINIMUM_MTU}`);
    }
  }

  const kubelet = machine.kubelet;
  if (kubelet) {
    for (const [i, subnet] of (kubelet.nodeIP?.validSubnets ?? []).entries()) {
      const cidr = subnet.replace(/^!/, '');
      if (!isSubnetOrAddress(cidr)) add(`machine.kubelet.nodeIP.validSubnets[${i}]`, `kubelet nodeIP subnet is not valid: ${quote(cidr)}`);
    }
    const extraConfig = kubelet.extraConfig;
    for (const field of protectedKubeletFields) {
      if (typeof extraConfig === 'object' && extraConfig !== null && Object.hasOwn(extraConfig, field)) {
        add(`machine.kubelet.extraConfig.${field}`, `kubelet configuration field ${quote(field)} can't be overridden`);
      }
    }
  }

  const kubespan = machine.network?.kubespan;
  if (kubespan?.enabled) {
    for (const [i, filter] of (kubespan.filters?.endpoints ?? []).entries()) {
      const cidr = filter.replace(/^!/, '');
      if (!isSubnetOrAddress(cidr)) add(`machine.network.kubespan.filters.endpoints[${i}]`, `KubeSpan endpoint filter is not valid: ${quote(cidr)}`);
    }
    for (const [i, cidr] of (kubespan.filters?.excludeAdvertisedNetworks ?? []).entries()) {
      if (parseCIDR(cidr)) {
        add(`machine.network.kubespan.filters.excludeAdvertisedNetworks[${i}]`, `KubeSpan exclude advertised networks filter is not valid: ${quote(cidr)}`);
      }
    }
  }

  const groups: Array<[string, Problem[]]> = [
    ['invalid machine node labels: ', labelProblems(machine.nodeLabels)],
    ['invalid machine node annotations: ', annotationProblems(machine.nodeAnnotations)],
    ['invalid machine node taints: ', taintProblems(machine.nodeTaints)],
  ];
  for (const [prefix, items] of groups) {
    if (items.length > 0) problems.push({ prefix, format: 'multierror', items });
  }

  const apiAccess = machine.features?.kubernetesTalosAPIAccess;
  if (apiAccess?.enabled) {
    const path = 'machine.features.kubernetesTalosAPIAccess';
    if (!isControlPlane) add(`${path}.enabled`, 'feature Kubernetes Talos API Access can only be enabled on control plane machines');
    for (const [i, role] of (apiAccess.allowedRoles ?? []).entries()) {
      if (!isKnownRole(role)) add(`${path}.allowedRoles[${i}]`, `invalid role ${quote(role)} in allowed roles for Kubernetes Talos API Access`);
    }
  }

  const sortAlgorithm = machine.features?.nodeAddressSortAlgorithm;
  if (sortAlgorithm && sortAlgorithm !== 'v1' && sortAlgorithm !== 'v2') {
    add('machine.features.nodeAddressSortAlgorithm', `invalid node address sort algorithm: ${sortAlgorithm} does not belong to AddressSortAlgorithm values`);
  }

  if (config.persist === false) add('persist', '.persist should be enabled');

  for (const [host, entry] of Object.entries(machine.registries?.config ?? {})) {
    if (entry === null) add(`machine.registries.config[${quote(host)}]`, `registries.config[${quote(host)}] is null`);
  }
  for (const [host, entry] of Object.entries(machine.registries?.mirrors ?? {})) {
    if (entry === null) add(`machine.registries.mirrors[${quote(host)}]`, `registries.mirrors[${quote(host)}] is null`);
  }

  if (options.strict) {
    for (const warning of warnings) add('', `warning: ${warning}`);
    warnings = [];
  }
  return { problems, warnings };
}
