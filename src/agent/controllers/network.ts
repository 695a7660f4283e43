// The network status resources (talos-resources.md; Talos's pkg/machinery/resources/network):
// LinkStatuses, AddressStatuses, RouteStatuses and NodeAddresses, read from the host's kernel.
// A node of a local cluster shows the link and the routes its address lives on and that one
// address; a host agent (osd --host-agent) shows everything the host has.
import type {NetIP, NetIPPrefix} from '../../machinery/api/common/common.js';
import {
  AddressStatusSpec as AddressStatusSpecProto,
  LinkStatusSpec as LinkStatusSpecProto,
  NodeAddressSpec as NodeAddressSpecProto,
  RouteStatusSpec as RouteStatusSpecProto,
} from '../../machinery/api/resource/definitions/network/network.js';
import {toGoYaml} from '../../machinery/yaml-emit.js';
import type {Logger} from '../log.js';
import {canonicalIp, ipBytes} from '../net.js';
import type {ResourceTypeDefinition} from '../store/resource.js';
import type {ResourceStore} from '../store/store.js';
import {
  type Family,
  formatIp,
  IFF,
  inPrefix,
  isLoopbackLink,
  type KernelAddress,
  type KernelLink,
  type KernelNetwork,
  type KernelRoute,
  readKernelNetwork,
  SCOPE,
  TABLE,
} from './kernel-network.js';

export const LINK_STATUS_TYPE = 'LinkStatuses.net.talos.dev';
export const ADDRESS_STATUS_TYPE = 'AddressStatuses.net.talos.dev';
export const ROUTE_STATUS_TYPE = 'RouteStatuses.net.talos.dev';
export const NODE_ADDRESS_TYPE = 'NodeAddresses.net.talos.dev';

const LINK_OWNER = 'network.LinkStatusController';
const ADDRESS_OWNER = 'network.AddressStatusController';
const ROUTE_OWNER = 'network.RouteStatusController';
const NODE_ADDRESS_OWNER = 'network.NodeAddressController';

export type LinkStatusSpec = KernelLink;
export type AddressStatusSpec = KernelAddress;
export type RouteStatusSpec = KernelRoute;
export type SortAlgorithm = 'v1' | 'v2';

export interface NodeAddressSpec {
  /** `ip/prefix` each. */
  addresses: string[];
  sortAlgorithm: SortAlgorithm;
}

// ---------------------------------------------------------------------------------------------
// How nethelpers' types print (their String/MarshalText/MarshalYAML)

const LINK_TYPE_NAMES: Record<number, string> = {
  0: 'netrom', 1: 'ether', 2: 'eether', 3: 'ax25', 4: 'pronet', 5: 'chaos', 6: 'ieee802', 7: 'arcnet', 8: 'atalk',
  15: 'dlci', 19: 'atm', 23: 'metricom', 24: 'ieee1394', 27: 'eui64', 32: 'infiniband', 256: 'slip', 257: 'cslip',
  258: 'slip6', 259: 'cslip6', 260: 'rsrvd', 264: 'adapt', 270: 'rose', 271: 'x25', 272: 'hwx25', 280: 'can',
  512: 'ppp', 513: 'cisco', 516: 'lapb', 517: 'ddcmp', 518: 'rawhdlc', 768: 'ipip', 769: 'tunnel6', 770: 'frad',
  771: 'skip', 772: 'loopback', 773: 'localtlk', 774: 'fddi', 775: 'bif', 776: 'sit', 777: 'ip/ddp', 778: 'gre',
  779: 'pimreg', 780: 'hippi', 781: 'ash', 782: 'econet', 783: 'irda', 784: 'fcpp', 785: 'fcal', 786: 'fcpl',
  800: 'tr', 801: 'ieee802.11', 802: 'ieee802.11_prism', 803: 'ieee802.11_radiotap', 804: 'ieee802.15.4',
  805: 'ieee802.15.4_monitor', 820: 'phonet', 821: 'phonet_pipe', 822: 'caif', 823: 'ip6gre', 824: 'netlink',
  825: '6lowpan', 65534: 'nohdr', 65535: 'void',
};
for (let n = 0; n <= 12; n++) LINK_TYPE_NAMES[787 + n] = `fcfb_${n}`;

const OPER_STATE_NAMES = ['unknown', 'notPresent', 'down', 'lowerLayerDown', 'testing', 'dormant', 'up'];
const PORT_NAMES: Record<number, string> = {0: 'TwistedPair', 1: 'AUI', 2: 'MII', 3: 'Fibre', 4: 'BNC', 5: 'DirectAttach', 239: 'None', 255: 'Other'};
const DUPLEX_NAMES: Record<number, string> = {0: 'Half', 1: 'Full', 255: 'Unknown'};
const SCOPE_NAMES: Record<number, string> = {0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere'};
const TABLE_NAMES: Record<number, string> = {0: 'unspec', 253: 'default', 254: 'main', 255: 'local'};
const ROUTE_TYPE_NAMES = ['unspec', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve'];
const ROUTE_PROTOCOL_NAMES: Record<number, string> = {
  0: 'unspec', 1: 'redirect', 2: 'kernel', 3: 'boot', 4: 'static', 9: 'ra', 10: 'mrt', 11: 'zebra', 12: 'bird',
  13: 'dnrouted', 14: 'xorp', 15: 'ntk', 16: 'dhcp', 17: 'mrtd', 18: 'keepalived', 42: 'babel', 99: 'openr',
  186: 'bgp', 187: 'isis', 188: 'ospf', 189: 'rip', 192: 'eigrp',
};
/** IFF_* from bit 0 up to ECHO, as LinkFlags.String() lists them. */
const LINK_FLAG_NAMES = ['UP', 'BROADCAST', 'DEBUG', 'LOOPBACK', 'POINTTOPOINT', 'NOTRAILERS', 'RUNNING', 'NOARP', 'PROMISC', 'ALLMULTI', 'MASTER', 'SLAVE', 'MULTICAST', 'PORTSEL', 'AUTOMEDIA', 'DYNAMIC', 'LOWER_UP', 'DORMANT', 'ECHO'];
/** IFA_F_* from bit 0 up to STABLE_PRIVACY. */
const ADDRESS_FLAG_NAMES = ['temporary', 'nodad', 'optimistic', 'dadfailed', 'homeaddress', 'deprecated', 'tentative', 'permanent', 'mngmtmpaddr', 'noprefixroute', 'mcautojoin', 'stableprivacy'];
/** RTM_F_* from bit 8 (NOTIFY) up to TRAP. */
const ROUTE_FLAG_NAMES = ['notify', 'cloned', 'equalize', 'prefix', 'lookup_table', 'fib_match', 'offload', 'trap'];

const FAMILY_NUMBER: Record<Family, number> = {inet4: 2, inet6: 10};

/** enumer/stringer's text for a value without a name. */
function named(names: Record<number, string> | string[], value: number, typeName: string): string {
  return (names as Record<number, string>)[value] ?? `${typeName}(${value})`;
}

function flagNames(flags: number, names: string[], firstBit = 0): string {
  return names.filter((_, index) => (flags >>> (firstBit + index)) & 1).join(',');
}

// ---------------------------------------------------------------------------------------------
// Proto helpers

function netIp(text: string | undefined): NetIP | undefined {
  if (text === undefined || text === '') return undefined;
  const ip = ipBytes(text);
  return ip === undefined ? undefined : {ip};
}

function netIpPrefix(text: string): NetIPPrefix | undefined {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return undefined;
  const ip = ipBytes(text.slice(0, slash));
  return ip === undefined ? undefined : {ip, prefixLength: Number(text.slice(slash + 1))};
}

function macBytes(text: string): Uint8Array {
  return text === '' ? new Uint8Array() : Uint8Array.from(text.split(':'), (pair) => Number.parseInt(pair, 16));
}

// ---------------------------------------------------------------------------------------------
// Types

/**
 * What sysfs does not show of a link: the queueing discipline (only netlink names it; left
 * empty), the ethtool port (reported as Other, Talos's value when ethtool answers nothing), a
 * non-PCI device's bus path (ethtool's bus info), the driver and firmware versions, and the PCI
 * vendor and product (Talos looks them up in the PCI database): left out, omitempty.
 */
const PORT_OTHER = 255;

export const linkStatusType: ResourceTypeDefinition<LinkStatusSpec> = {
  type: LINK_STATUS_TYPE,
  defaultNamespace: 'network',
  aliases: ['link', 'links'],
  // Talos ≥ 1.13 leads with the link alias (`talosctl get links` shows an ALIAS column).
  printColumns: [
    {name: 'Alias', jsonPath: '{.alias}'},
    {name: 'Type', jsonPath: '{.type}'},
    {name: 'Kind', jsonPath: '{.kind}'},
    {name: 'Hw Addr', jsonPath: '{.hardwareAddr}'},
    {name: 'Oper State', jsonPath: '{.operationalState}'},
    {name: 'Link State', jsonPath: '{.linkState}'},
  ],
  // Keys in LinkStatusSpec's field order; `omitempty` ones are undefined when empty.
  yamlSpec: (link) =>
    toGoYaml({
      alias: link.alias === '' ? undefined : link.alias,
      index: link.index,
      type: named(LINK_TYPE_NAMES, link.type, 'LinkType'),
      linkIndex: link.linkIndex,
      flags: flagNames(link.flags, LINK_FLAG_NAMES),
      hardwareAddr: link.hardwareAddr,
      permanentAddr: link.permanentAddr,
      broadcastAddr: link.broadcastAddr,
      mtu: link.mtu,
      queueDisc: '',
      masterIndex: link.masterIndex === 0 ? undefined : link.masterIndex,
      operationalState: named(OPER_STATE_NAMES, link.operationalState, 'OperationalState'),
      kind: link.kind,
      slaveKind: link.slaveKind,
      busPath: link.busPath === '' ? undefined : link.busPath,
      pciID: link.pciID === '' ? undefined : link.pciID,
      driver: link.driver === '' ? undefined : link.driver,
      linkState: link.linkState,
      speedMbit: link.speedMegabits === 0 ? undefined : link.speedMegabits,
      port: named(PORT_NAMES, PORT_OTHER, 'Port'),
      duplex: named(DUPLEX_NAMES, link.duplex, 'Duplex'),
    }),
  protoSpec: (link) =>
    LinkStatusSpecProto.encode({
      index: link.index,
      type: link.type,
      linkIndex: link.linkIndex,
      flags: link.flags,
      hardwareAddr: macBytes(link.hardwareAddr),
      broadcastAddr: macBytes(link.broadcastAddr),
      mtu: link.mtu,
      queueDisc: '',
      masterIndex: link.masterIndex,
      operationalState: link.operationalState,
      kind: link.kind,
      slaveKind: link.slaveKind,
      busPath: link.busPath,
      pciid: link.pciID,
      driver: link.driver,
      driverVersion: '',
      firmwareVersion: '',
      productId: '',
      vendorId: '',
      product: '',
      vendor: '',
      linkState: link.linkState,
      speedMegabits: BigInt(link.speedMegabits),
      port: PORT_OTHER,
      duplex: link.duplex,
      permanentAddr: macBytes(link.permanentAddr),
      alias: link.alias,
      altNames: [],
    }).finish(),
};

export const addressStatusType: ResourceTypeDefinition<AddressStatusSpec> = {
  type: ADDRESS_STATUS_TYPE,
  defaultNamespace: 'network',
  aliases: ['address', 'addresses'],
  printColumns: [
    {name: 'Address', jsonPath: '{.address}'},
    {name: 'Link', jsonPath: '{.linkName}'},
  ],
  yamlSpec: (address) =>
    toGoYaml({
      address: address.address,
      local: address.local,
      linkIndex: address.linkIndex,
      linkName: address.linkName,
      family: address.family,
      scope: named(SCOPE_NAMES, address.scope, 'Scope'),
      flags: flagNames(address.flags, ADDRESS_FLAG_NAMES),
      priority: 0,
    }),
  protoSpec: (address) =>
    AddressStatusSpecProto.encode({
      address: netIpPrefix(address.address),
      local: netIp(address.local),
      linkIndex: address.linkIndex,
      linkName: address.linkName,
      family: FAMILY_NUMBER[address.family],
      scope: address.scope,
      flags: address.flags,
      priority: 0,
    }).finish(),
};

export const routeStatusType: ResourceTypeDefinition<RouteStatusSpec> = {
  type: ROUTE_STATUS_TYPE,
  defaultNamespace: 'network',
  aliases: ['route', 'routes'],
  printColumns: [
    {name: 'Destination', jsonPath: '{.dst}'},
    {name: 'Gateway', jsonPath: '{.gateway}'},
    {name: 'Link', jsonPath: '{.outLinkName}'},
    {name: 'Metric', jsonPath: '{.priority}'},
    {name: 'Table', jsonPath: '{.table}'},
  ],
  yamlSpec: (route) =>
    toGoYaml({
      family: route.family,
      dst: route.destination,
      src: route.source,
      gateway: route.gateway,
      outLinkIndex: route.outLinkIndex === 0 ? undefined : route.outLinkIndex,
      outLinkName: route.outLinkName === '' ? undefined : route.outLinkName,
      table: named(TABLE_NAMES, route.table, 'RoutingTable'),
      priority: route.priority,
      scope: named(SCOPE_NAMES, route.scope, 'Scope'),
      type: named(ROUTE_TYPE_NAMES, route.type, 'RouteType'),
      flags: flagNames(0, ROUTE_FLAG_NAMES, 8),
      protocol: named(ROUTE_PROTOCOL_NAMES, route.protocol, 'RouteProtocol'),
      mtu: route.mtu === 0 ? undefined : route.mtu,
    }),
  protoSpec: (route) =>
    RouteStatusSpecProto.encode({
      family: FAMILY_NUMBER[route.family],
      destination: route.destination === '' ? undefined : netIpPrefix(route.destination),
      source: netIp(route.source),
      gateway: netIp(route.gateway),
      outLinkIndex: route.outLinkIndex,
      outLinkName: route.outLinkName,
      table: route.table,
      priority: route.priority,
      scope: route.scope,
      type: route.type,
      flags: 0,
      protocol: route.protocol,
      mtu: route.mtu,
    }).finish(),
};

export const nodeAddressType: ResourceTypeDefinition<NodeAddressSpec> = {
  type: NODE_ADDRESS_TYPE,
  defaultNamespace: 'network',
  printColumns: [
    {name: 'Addresses', jsonPath: '{.addresses}'},
    {name: 'SortAlgorithm', jsonPath: '{.sortAlgorithm}'},
  ],
  yamlSpec: ({addresses, sortAlgorithm}) => toGoYaml({addresses, sortAlgorithm}),
  protoSpec: (spec) =>
    NodeAddressSpecProto.encode({
      addresses: spec.addresses.flatMap((address) => netIpPrefix(address) ?? []),
      sortAlgorithm: spec.sortAlgorithm === 'v2' ? 1 : 0,
    }).finish(),
};

// ---------------------------------------------------------------------------------------------
// Ids (network.go: AddressID, LinkID, RouteID)

export function addressId(address: AddressStatusSpec): string {
  return `${address.linkName}/${address.address}`;
}

export function routeId(route: RouteStatusSpec): string {
  let prefix = route.table === TABLE.main ? '' : `${named(TABLE_NAMES, route.table, 'RoutingTable')}/`;
  if (route.family === 'inet6') prefix += `${route.outLinkName}/`;
  return `${prefix}${route.family}/${route.gateway}/${route.destination}/${route.priority}`;
}

// ---------------------------------------------------------------------------------------------
// Node addresses (Talos's NodeAddressController and address sorting)

interface Prefix {
  text: string;
  ip: Uint8Array;
  bits: number;
}

function parsePrefix(text: string): Prefix {
  const [ip, bits] = text.split('/');
  return {text, ip: ipBytes(ip)!, bits: Number(bits)};
}

/** netip.Addr.Compare: IPv4 before IPv6, then by bytes. */
function compareIps(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** v1 (legacy): by address, then prefix length; v2: family, more specific first when one contains the other, then address. */
export function comparePrefixes(algorithm: SortAlgorithm, a: string, b: string): number {
  const left = parsePrefix(a);
  const right = parsePrefix(b);
  if (algorithm === 'v1') return compareIps(left.ip, right.ip) || left.bits - right.bits;
  if (left.ip.length !== right.ip.length) return left.ip.length - right.ip.length;
  if (compareIps(left.ip, right.ip) === 0) return right.bits - left.bits;
  const leftContainsRight = inPrefix(right.ip, left.ip, left.bits);
  const rightContainsLeft = inPrefix(left.ip, right.ip, right.bits);
  if (leftContainsRight && !rightContainsLeft) return 1;
  if (!leftContainsRight && rightContainsLeft) return -1;
  return compareIps(left.ip, right.ip);
}

const SIDEROLINK_ULA = ipBytes('fdae:41e4:649b:9303::')!;

function isCandidate(address: AddressStatusSpec): boolean {
  if (address.scope >= SCOPE.link) return false;
  const ip = ipBytes(address.ip)!;
  if (ip.length === 4) return ip[0] !== 127 && !(ip[0] >= 224 && ip[0] <= 239) && !(ip[0] === 169 && ip[1] === 254);
  const loopback = ip.slice(0, 15).every((byte) => byte === 0) && ip[15] === 1;
  // SideroLink's point-to-point ULA (fdae:41e4:649b:9303::/64).
  const sideroLink = inPrefix(ip, SIDEROLINK_ULA, 64);
  return !loopback && ip[0] !== 0xff && !(ip[0] === 0xfe && (ip[1] & 0xc0) === 0x80) && !sideroLink;
}

/** netip.Prefix.Overlaps: same family and one contains the other's network. */
export function overlaps(a: string, b: string): boolean {
  const left = parsePrefix(a);
  const right = parsePrefix(b);
  if (left.ip === undefined || right.ip === undefined || left.ip.length !== right.ip.length) return false;
  if (!Number.isInteger(left.bits) || !Number.isInteger(right.bits)) return false;
  return inPrefix(left.ip, right.ip, Math.min(left.bits, right.bits));
}

function uniqueSorted(algorithm: SortAlgorithm, prefixes: string[]): string[] {
  return [...new Set(prefixes)].sort((a, b) => comparePrefixes(algorithm, a, b));
}

// ---------------------------------------------------------------------------------------------
// The controller

export interface NetworkStatusOptions {
  /** The address osd serves on. */
  address: string;
  /** `node`: the node's own address and the link it is on; `host`: everything the host has. */
  scope: 'node' | 'host';
  sortAlgorithm: SortAlgorithm;
  /**
   * The cluster's pod and service subnets, when the config has a cluster section: NodeAddresses
   * then also come filtered, `<kind>-no-k8s` without and `<kind>-only-k8s` with only addresses
   * overlapping them (Talos's k8s.AddressFilterController).
   */
  kubernetesSubnets?: string[];
  log: Logger;
  /** How often the kernel is read again (the resources follow its changes). */
  intervalMs?: number;
  /** For tests: what the kernel shows. */
  read?: () => Promise<KernelNetwork>;
}

const DEFAULT_INTERVAL_MS = 10_000;

/**
 * Publishes LinkStatuses, AddressStatuses, RouteStatuses and NodeAddresses, and keeps them in
 * step with the kernel (read again every few seconds; vanished ones are destroyed).
 */
export class NetworkStatusController {
  private timer: NodeJS.Timeout | undefined;
  private accumulative: string[] = [];
  private defaultAddress: string | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  private warned = false;
  private lastReadError: string | undefined;

  constructor(
    private readonly store: ResourceStore,
    private readonly options: NetworkStatusOptions,
  ) {}

  /** Reads the kernel again every interval (call refresh() once first to publish at once). */
  start(): void {
    if (this.timer !== undefined) return;
    const timer = setInterval(() => {
      this.refreshing = this.refreshing
        .then(() => this.refresh())
        .catch((error: Error) => this.options.log.warn(`cannot publish the network state: ${error.message}`));
    }, this.options.intervalMs ?? DEFAULT_INTERVAL_MS);
    timer.unref();
    this.timer = timer;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.refreshing;
  }

  async refresh(): Promise<void> {
    let kernel: KernelNetwork;
    try {
      kernel = await (this.options.read ?? readKernelNetwork)();
    } catch (error) {
      // Said once per distinct problem, not every interval.
      const message = `cannot read the network state: ${(error as Error).message}`;
      if (message !== this.lastReadError) this.options.log.warn(message);
      this.lastReadError = message;
      return;
    }
    this.lastReadError = undefined;
    const view = this.options.scope === 'host' ? kernel : this.nodeView(kernel);
    this.sync(LINK_STATUS_TYPE, LINK_OWNER, view.links.map((link) => [link.name, link]));
    this.sync(ADDRESS_STATUS_TYPE, ADDRESS_OWNER, view.addresses.map((address) => [addressId(address), address]));
    this.sync(ROUTE_STATUS_TYPE, ROUTE_OWNER, view.routes.map((route) => [routeId(route), route]));
    this.publishNodeAddresses(view);
  }

  /**
   * A node of a local cluster: its address, on the link the host has it on (or, for an address
   * in a loopback prefix such as 127.57.0.2 in 127.0.0.0/8, on that loopback link with that
   * prefix, scope host, as the kernel delivers it there), that link, and the routes through it.
   */
  private nodeView(kernel: KernelNetwork): KernelNetwork {
    const ip = canonicalIp(this.options.address);
    const nodeBytes = ipBytes(this.options.address);
    let address = kernel.addresses.find((candidate) => canonicalIp(candidate.ip) === ip);
    if (address === undefined && nodeBytes !== undefined) {
      const covering = kernel.addresses.find((candidate) => {
        const link = kernel.links.find((item) => item.name === candidate.linkName);
        return link !== undefined && isLoopbackLink(link) && inPrefix(nodeBytes, ipBytes(candidate.ip)!, candidate.prefixLength);
      });
      if (covering !== undefined) {
        const text = formatIp(nodeBytes);
        address = {
          ...covering,
          address: `${text}/${covering.prefixLength}`,
          ip: text,
          local: covering.family === 'inet4' ? text : undefined,
          scope: SCOPE.host,
        };
      }
    }
    if (address === undefined) {
      if (!this.warned) this.options.log.warn(`no link of this host carries the node address ${this.options.address}: no network statuses are published`);
      this.warned = true;
      return {links: [], addresses: [], routes: []};
    }
    const linkName = address.linkName;
    return {
      links: kernel.links.filter((link) => link.name === linkName),
      addresses: [address],
      routes: kernel.routes.filter((route) => route.outLinkName === linkName),
    };
  }

  private publishNodeAddresses(view: KernelNetwork): void {
    const algorithm = this.options.sortAlgorithm;
    // Talos leaves loopback addresses out; a local-cluster node's only address is one, and it
    // is the address the node is known by, so for a node it is the node address.
    const candidates = this.options.scope === 'node' ? view.addresses : view.addresses.filter(isCandidate);
    const linksUp = new Set(
      view.links
        .filter((link) => (link.operationalState === 6 || link.operationalState === 0) && (link.flags & IFF.UP) !== 0)
        .filter((link) => !(link.type === 1 && link.kind === '') || link.linkState)
        .map((link) => link.index),
    );
    if (this.defaultAddress === undefined) {
      // The smallest address of the alphabetically first link; once chosen it stays (as Talos keeps it).
      const first = [...candidates].sort(
        (a, b) => (a.linkName < b.linkName ? -1 : a.linkName > b.linkName ? 1 : comparePrefixes(algorithm, a.address, b.address)),
      )[0];
      this.defaultAddress = first?.address;
    }
    const current = uniqueSorted(
      algorithm,
      candidates.filter((address) => linksUp.has(address.linkIndex) || this.options.scope === 'node').map((address) => address.address),
    );
    this.accumulative = uniqueSorted(algorithm, [...this.accumulative, ...candidates.map((address) => address.address)]);
    const specs: Array<[string, NodeAddressSpec]> = [
      ['current', {addresses: current, sortAlgorithm: algorithm}],
      ['routed', {addresses: current, sortAlgorithm: algorithm}],
      ['accumulative', {addresses: this.accumulative, sortAlgorithm: algorithm}],
    ];
    const subnets = this.options.kubernetesSubnets;
    if (subnets !== undefined) {
      for (const [kind, {addresses}] of [...specs]) {
        specs.push([`${kind}-no-k8s`, {addresses: addresses.filter((address) => !subnets.some((subnet) => overlaps(subnet, address))), sortAlgorithm: algorithm}]);
        specs.push([`${kind}-only-k8s`, {addresses: addresses.filter((address) => subnets.some((subnet) => overlaps(subnet, address))), sortAlgorithm: algorithm}]);
      }
    }
    if (this.defaultAddress !== undefined) specs.unshift(['default', {addresses: [this.defaultAddress], sortAlgorithm: algorithm}]);
    this.sync(NODE_ADDRESS_TYPE, NODE_ADDRESS_OWNER, specs);
  }

  /** Puts every given resource of a type and destroys the ones of that owner no longer there. */
  private sync<Spec>(type: string, owner: string, entries: Array<[string, Spec]>): void {
    const ids = new Set<string>();
    for (const [id, spec] of entries) {
      if (ids.has(id)) continue;
      ids.add(id);
      this.store.put<Spec>({type, id, owner, spec});
    }
    for (const resource of this.store.list('network', type)) {
      if (resource.metadata.owner === owner && !ids.has(resource.metadata.id)) {
        this.store.destroy(resource.metadata, owner);
      }
    }
  }
}
