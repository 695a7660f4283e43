// The kernel's links, addresses and routes as osd can read them without netlink: /sys/class/net,
// /proc/net/if_inet6, os.networkInterfaces(), /proc/net/route, /proc/net/ipv6_route and
// /proc/net/fib_trie. Parsers are pure (tested on recorded text); readKernelNetwork() does the I/O.
// What these files do not say is left out or documented where it is set.
import {readdir, readFile, readlink, stat} from 'node:fs/promises';
import {networkInterfaces} from 'node:os';
import {basename, join} from 'node:path';
import {goIpText, ipBytes} from '../net.js';

export type Family = 'inet4' | 'inet6';

export interface KernelLink {
  name: string;
  index: number;
  /** ARPHRD_* */
  type: number;
  /** The link this one sits on (IFLA_LINK); 0 when none. */
  linkIndex: number;
  /** IFF_* as the kernel reports them over netlink (RUNNING, LOWER_UP, DORMANT included). */
  flags: number;
  hardwareAddr: string;
  /** Empty when the kernel has no permanent address for the link, or it cannot be known. */
  permanentAddr: string;
  broadcastAddr: string;
  mtu: number;
  masterIndex: number;
  /** IF_OPER_* */
  operationalState: number;
  kind: string;
  slaveKind: string;
  alias: string;
  /** PCI_SLOT_NAME and PCI_ID of the device's uevent (empty for a device that is not PCI). */
  busPath: string;
  pciID: string;
  driver: string;
  /** ethtool's link detection (the carrier for the drivers that have no own). */
  linkState: boolean;
  speedMegabits: number;
  /** ethtool DUPLEX_* (255 unknown). */
  duplex: number;
}

export interface KernelAddress {
  /** `ip/prefix` in Go's netip form. */
  address: string;
  ip: string;
  prefixLength: number;
  local?: string;
  linkIndex: number;
  linkName: string;
  family: Family;
  /** RT_SCOPE_* */
  scope: number;
  /** IFA_F_* */
  flags: number;
}

export interface KernelRoute {
  family: Family;
  /** `ip/prefix`, empty for a default route (as Talos reports it). */
  destination: string;
  source: string;
  gateway: string;
  outLinkIndex: number;
  outLinkName: string;
  table: number;
  priority: number;
  scope: number;
  /** RTN_* */
  type: number;
  protocol: number;
  mtu: number;
}

export interface KernelNetwork {
  links: KernelLink[];
  addresses: KernelAddress[];
  routes: KernelRoute[];
}

export const IFF = {UP: 0x1, LOOPBACK: 0x8, RUNNING: 0x40, LOWER_UP: 0x10000, DORMANT: 0x20000} as const;
export const SCOPE = {global: 0, site: 200, link: 253, host: 254, nowhere: 255} as const;
export const TABLE = {main: 254, local: 255} as const;
export const RTN = {unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7} as const;
export const RTPROT = {unspec: 0, kernel: 2, ra: 9} as const;
const IFA_F_PERMANENT = 0x80;
const ARPHRD_LOOPBACK = 772;

const OPER_STATES: Record<string, number> = {
  unknown: 0,
  notpresent: 1,
  down: 2,
  lowerlayerdown: 3,
  testing: 4,
  dormant: 5,
  up: 6,
};

// ---------------------------------------------------------------------------------------------
// IP text as Go's netip writes it

/** An address in Go's netip text form (IPv6 shortened as RFC 5952). */
export function formatIp(bytes: Uint8Array): string {
  return goIpText(bytes, 'netip');
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

/** /proc/net/route writes IPv4 addresses as little-endian 32-bit hex. */
function procIpv4(hex: string): Uint8Array {
  return hexBytes(hex).reverse();
}

function prefixLengthOfMask(mask: Uint8Array): number {
  let length = 0;
  for (const byte of mask) for (let bit = 7; bit >= 0; bit--) if ((byte >> bit) & 1) length++;
  return length;
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

/** Whether `ip` lies in `network/prefixLength` (same family). */
export function inPrefix(ip: Uint8Array, network: Uint8Array, prefixLength: number): boolean {
  if (ip.length !== network.length) return false;
  for (let bit = 0; bit < prefixLength; bit++) {
    const mask = 0x80 >> bit % 8;
    if ((ip[bit >> 3] & mask) !== (network[bit >> 3] & mask)) return false;
  }
  return true;
}

function masked(ip: Uint8Array, prefixLength: number): Uint8Array {
  return ip.map((byte, index) => {
    const bits = Math.min(8, Math.max(0, prefixLength - index * 8));
    return byte & ((0xff << (8 - bits)) & 0xff);
  });
}

// ---------------------------------------------------------------------------------------------
// Links: /sys/class/net/<name>

/** The files of /sys/class/net/<name> a link status is made of; absent ones are undefined. */
export interface SysfsLink {
  name: string;
  ifindex?: string;
  iflink?: string;
  type?: string;
  flags?: string;
  address?: string;
  broadcast?: string;
  mtu?: string;
  operstate?: string;
  carrier?: string;
  dormant?: string;
  addr_assign_type?: string;
  speed?: string;
  duplex?: string;
  ifalias?: string;
  uevent?: string;
  /** Which of the kind-telling subfolders exist (bridge, bonding, brport, bonding_slave, tun_flags, wireless). */
  present: Set<string>;
  /** ifindex of the `master` link, when there is one. */
  masterIndex?: number;
  driver?: string;
  /** device/uevent: the bus the device sits on says where it is (PCI_SLOT_NAME, PCI_ID). */
  deviceUevent?: string;
}

const SYSFS_FILES = [
  'ifindex',
  'iflink',
  'type',
  'flags',
  'address',
  'broadcast',
  'mtu',
  'operstate',
  'carrier',
  'dormant',
  'addr_assign_type',
  'speed',
  'duplex',
  'ifalias',
  'uevent',
] as const;
const SYSFS_MARKERS = ['bridge', 'bonding', 'brport', 'bonding_slave', 'tun_flags', 'wireless'];

const NET_ADDR_PERM = 0;

/** A link status from its sysfs files; undefined when the link vanished while being read. */
export function linkFromSysfs(files: SysfsLink): KernelLink | undefined {
  const number = (text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number.parseInt(text.trim(), text.trim().startsWith('0x') ? 16 : 10);
    return Number.isFinite(value) ? value : undefined;
  };
  const index = number(files.ifindex);
  if (index === undefined) return undefined;
  const iflink = number(files.iflink) ?? index;
  const deviceFlags = number(files.flags) ?? 0;
  const operstate = (files.operstate ?? 'unknown').trim().replaceAll(/[^a-z]/g, '');
  const operationalState = OPER_STATES[operstate] ?? 0;
  const carrier = files.carrier?.trim() === '1';
  // sysfs `flags` is dev->flags; netlink adds what dev_get_flags() computes for a running link.
  let flags = deviceFlags & ~(IFF.RUNNING | IFF.LOWER_UP | IFF.DORMANT);
  if ((deviceFlags & IFF.UP) !== 0) {
    if (operationalState === OPER_STATES.up || operationalState === OPER_STATES.unknown) flags |= IFF.RUNNING;
    if (carrier) flags |= IFF.LOWER_UP;
    if (files.dormant?.trim() === '1') flags |= IFF.DORMANT;
  }
  const address = (files.address ?? '').trim();
  const zeroAddress = /^[0:]*$/.test(address);
  // The kernel copies the address into perm_addr at registration when the driver gave a permanent
  // one; an address set later changes addr_assign_type, after which the permanent one is not known
  // from sysfs (left empty). netlink leaves an all-zero permanent address out, so does this.
  const permanentAddr = number(files.addr_assign_type) === NET_ADDR_PERM && !zeroAddress ? address : '';
  const speed = number(files.speed);
  const duplexText = files.duplex?.trim();
  const deviceField = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(files.deviceUevent ?? '')?.[1].trim() ?? '';
  return {
    name: files.name,
    index,
    type: number(files.type) ?? 0,
    // IFLA_LINK is only sent for a link that sits on another one.
    linkIndex: iflink === index ? 0 : iflink,
    flags,
    hardwareAddr: address,
    permanentAddr,
    broadcastAddr: (files.broadcast ?? '').trim(),
    mtu: number(files.mtu) ?? 0,
    masterIndex: files.masterIndex ?? 0,
    operationalState,
    kind: linkKind(files),
    slaveKind: files.present.has('brport') ? 'bridge' : files.present.has('bonding_slave') ? 'bond' : '',
    alias: (files.ifalias ?? '').replace(/\n$/, ''),
    // Talos reads these two from the same file (nethelpers.GetDeviceInfo).
    busPath: deviceField('PCI_SLOT_NAME'),
    pciID: deviceField('PCI_ID'),
    driver: files.driver ?? '',
    linkState: carrier,
    // speed reads -1 (or fails) when ethtool knows none; Talos then leaves it at 0.
    speedMegabits: speed !== undefined && speed > 0 ? speed : 0,
    duplex: duplexText === 'full' ? 1 : duplexText === 'half' ? 0 : 255,
  };
}

/**
 * IFLA_INFO_KIND as far as sysfs tells it: bridges, bonds, tun/tap and the kinds the device's
 * uevent names (vlan, wireguard, …). Other virtual kinds (veth, dummy, …) leave no trace in
 * sysfs and read as "" here.
 */
function linkKind(files: SysfsLink): string {
  if (files.present.has('bridge')) return 'bridge';
  if (files.present.has('bonding')) return 'bond';
  if (files.present.has('tun_flags')) return 'tun';
  const devtype = /^DEVTYPE=(.*)$/m.exec(files.uevent ?? '')?.[1];
  if (devtype !== undefined && devtype !== 'wlan' && devtype !== 'wwan') return devtype;
  return '';
}

async function readSysfsLink(dir: string, name: string, indexByName: Map<string, number>): Promise<KernelLink | undefined> {
  const base = join(dir, name);
  const files: SysfsLink = {name, present: new Set()};
  await Promise.all([
    ...SYSFS_FILES.map(async (file) => {
      // Some files refuse reading (EINVAL) while the link is down or for links without ethtool.
      files[file] = await readFile(join(base, file), 'utf8').catch(() => undefined);
    }),
    ...SYSFS_MARKERS.map(async (marker) => {
      if (await stat(join(base, marker)).then(() => true, () => false)) files.present.add(marker);
    }),
    readlink(join(base, 'master')).then(
      (target) => {
        files.masterIndex = indexByName.get(basename(target));
      },
      () => undefined,
    ),
    readFile(join(base, 'device', 'uevent'), 'utf8').then(
      (text) => {
        files.deviceUevent = text;
      },
      () => undefined,
    ),
    readlink(join(base, 'device', 'driver')).then(
      (target) => {
        files.driver = basename(target);
      },
      () => undefined,
    ),
  ]);
  return linkFromSysfs(files);
}

export async function readLinks(dir = '/sys/class/net'): Promise<KernelLink[]> {
  const names = (await readdir(dir)).sort();
  const indexByName = new Map<string, number>();
  for (const name of names) {
    const text = await readFile(join(dir, name, 'ifindex'), 'utf8').catch(() => undefined);
    if (text !== undefined) indexByName.set(name, Number.parseInt(text, 10));
  }
  // One link at a time: a host with hundreds of links must not open thousands of files at once.
  const links: KernelLink[] = [];
  for (const name of names) {
    const link = await readSysfsLink(dir, name, indexByName);
    if (link !== undefined) links.push(link);
  }
  return links;
}

// ---------------------------------------------------------------------------------------------
// Addresses

/** /proc/net/if_inet6: address, ifindex, prefix length, scope, flags, name (all hex but the name). */
export function parseIfInet6(text: string): KernelAddress[] {
  const addresses: KernelAddress[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 6 || fields[0].length !== 32) continue;
    const ip = formatIp(hexBytes(fields[0]));
    const prefixLength = Number.parseInt(fields[2], 16);
    // The scope column holds the address type's scope bits (IPV6_ADDR_LOOPBACK 0x10,
    // LINKLOCAL 0x20, SITELOCAL 0x40, COMPATv4 0x80); netlink turns them into RT_SCOPE_* by
    // testing host, then link, then site (rt_scope), anything else being global.
    const scopeBits = Number.parseInt(fields[3], 16);
    const scope = scopeBits & 0x10 ? SCOPE.host : scopeBits & 0x20 ? SCOPE.link : scopeBits & 0x40 ? SCOPE.site : SCOPE.global;
    addresses.push({
      address: `${ip}/${prefixLength}`,
      ip,
      prefixLength,
      linkIndex: Number.parseInt(fields[1], 16),
      linkName: fields[5],
      family: 'inet6',
      scope,
      // The file prints only the low 8 bits of the flags (temporary … permanent); mngmtmpaddr,
      // noprefixroute, mcautojoin and stableprivacy cannot be read here and stay unset.
      flags: Number.parseInt(fields[4], 16) & 0xff,
    });
  }
  return addresses;
}

export interface InterfaceAddress {
  address: string;
  family: string;
  cidr: string | null;
}

/**
 * IPv4 addresses from os.networkInterfaces(). procfs has no per-address IPv4 scope or flags:
 * the scope is the one the kernel gives loopback addresses (host) or the default (global, link
 * for 169.254/16 as iproute2 sets it), and flags are left at 0 as they cannot be read. The
 * broadcast address (IFA_BROADCAST) is left out too: the kernel adds the prefix's broadcast route
 * whether or not the address has one, so fib_trie cannot tell it, and nothing else shows it.
 * libuv (getifaddrs) skips links that are not up and running, so the IPv4 addresses of such a
 * link are not shown (Talos, reading netlink, shows them); procfs has no other list of them.
 */
export function ipv4Addresses(interfaces: Record<string, InterfaceAddress[] | undefined>, links: KernelLink[]): KernelAddress[] {
  const addresses: KernelAddress[] = [];
  for (const link of links) {
    // getifaddrs names an IPv4 address by its label: `eth0:1` is an address of eth0.
    const labelled = Object.keys(interfaces).filter((key) => key === link.name || key.startsWith(`${link.name}:`));
    for (const entry of labelled.flatMap((key) => interfaces[key] ?? [])) {
      if (entry.family !== 'IPv4' || entry.cidr === null) continue;
      const prefixLength = Number(entry.cidr.split('/')[1]);
      const loopback = (link.flags & IFF.LOOPBACK) !== 0 && entry.address.startsWith('127.');
      addresses.push({
        address: `${entry.address}/${prefixLength}`,
        ip: entry.address,
        prefixLength,
        local: entry.address,
        linkIndex: link.index,
        linkName: link.name,
        family: 'inet4',
        scope: loopback ? SCOPE.host : entry.address.startsWith('169.254.') ? SCOPE.link : SCOPE.global,
        flags: loopback ? IFA_F_PERMANENT : 0,
      });
    }
  }
  return addresses;
}

// ---------------------------------------------------------------------------------------------
// Routes

const RTF_GATEWAY = 0x2;
const RTF_REJECT = 0x200;
const RTF_ADDRCONF = 0x40000;
const RTF_ANYCAST = 0x100000;
const RTF_LOCAL = 0x80000000;

function linkIndexOf(links: KernelLink[], name: string): number {
  return links.find((link) => link.name === name)?.index ?? 0;
}

/** A route without gateway on the prefix of one of the link's addresses is the kernel's own. */
function kernelPrefixRouteSource(addresses: KernelAddress[], linkName: string, destination: Uint8Array, prefixLength: number): KernelAddress | undefined {
  return addresses.find((address) => {
    if (address.linkName !== linkName || address.prefixLength !== prefixLength) return false;
    const ip = ipBytes(address.ip);
    return ip !== undefined && ip.length === destination.length && formatIp(masked(ip, prefixLength)) === formatIp(destination);
  });
}

/**
 * /proc/net/route: the IPv4 main table (the only one it shows). It does not carry the protocol,
 * the preferred source or the scope: a gateway-less route on an address's prefix with metric 0 is
 * the kernel's own (protocol kernel, source that address, scope link); for the others the
 * protocol stays unspec and the source empty, and the scope is link without gateway, global with one.
 * Its "MTU" column is the advertised MSS + 40, not the route's MTU, so the MTU is left unset. A
 * route without a device (`*`) and without RTF_REJECT is a blackhole; with RTF_REJECT it is
 * unreachable or prohibit, which the file does not tell apart (reported as unreachable).
 */
export function parseProcNetRoute(text: string, links: KernelLink[], addresses: KernelAddress[]): KernelRoute[] {
  const routes: KernelRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 11) continue;
    const [iface, destinationHex, gatewayHex, flagsHex, , , metricText, maskHex] = fields;
    const name = iface === '*' ? '' : iface;
    const flags = Number.parseInt(flagsHex, 16);
    const destination = procIpv4(destinationHex);
    const prefixLength = prefixLengthOfMask(procIpv4(maskHex));
    const gateway = procIpv4(gatewayHex);
    const hasGateway = (flags & RTF_GATEWAY) !== 0 && !isZero(gateway);
    const priority = Number.parseInt(metricText, 10);
    const own = !hasGateway && priority === 0 ? kernelPrefixRouteSource(addresses, name, destination, prefixLength) : undefined;
    const type = (flags & RTF_REJECT) !== 0 ? RTN.unreachable : name === '' ? RTN.blackhole : RTN.unicast;
    routes.push({
      family: 'inet4',
      destination: prefixLength === 0 && isZero(destination) ? '' : `${formatIp(destination)}/${prefixLength}`,
      source: own?.ip ?? '',
      gateway: hasGateway ? formatIp(gateway) : '',
      outLinkIndex: linkIndexOf(links, name),
      outLinkName: name,
      table: TABLE.main,
      priority,
      // A device route is on-link; gateway, blackhole and unreachable routes keep the default scope.
      scope: hasGateway || type !== RTN.unicast ? SCOPE.global : SCOPE.link,
      type,
      protocol: own !== undefined ? RTPROT.kernel : RTPROT.unspec,
      mtu: 0,
    });
  }
  return routes;
}

/**
 * /proc/net/ipv6_route lists every table without naming it: local routes (RTF_LOCAL), the
 * subnet-router anycast routes (RTF_ANYCAST) and the multicast ff00::/8 routes belong to the local
 * table, all others are shown in main. IPv6 routes have scope global (the kernel reports no
 * other); the protocol is kernel for the kernel's own local, anycast, multicast and
 * address-prefix routes, ra for router advertisements, else unspec (procfs
 * does not say whether a route came from boot, static or dhcp). Blackhole, unreachable and
 * prohibit routes all carry RTF_REJECT on lo here; they are reported as unreachable.
 */
export function parseIpv6Route(text: string, links: KernelLink[], addresses: KernelAddress[]): KernelRoute[] {
  const routes: KernelRoute[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[0].length !== 32) continue;
    const [destinationHex, prefixHex, , , gatewayHex, metricHex, , , flagsHex, name] = fields;
    const flags = Number.parseInt(flagsHex, 16) >>> 0;
    const priority = Number.parseInt(metricHex, 16) >>> 0;
    const destination = hexBytes(destinationHex);
    const prefixLength = Number.parseInt(prefixHex, 16);
    // Each table's catch-all "unreachable" entry, not a route anyone added.
    if ((flags & RTF_REJECT) !== 0 && prefixLength === 0 && priority === 0xffffffff) continue;
    const gateway = hexBytes(gatewayHex);
    const local = (flags & RTF_LOCAL) !== 0;
    const anycast = (flags & RTF_ANYCAST) !== 0;
    const multicast = destination[0] === 0xff && prefixLength >= 8;
    const localTable = local || anycast || multicast;
    const type = local
      ? RTN.local
      : anycast
        ? RTN.anycast
        : multicast
          ? RTN.multicast
          : (flags & RTF_REJECT) !== 0
            ? RTN.unreachable
            : RTN.unicast;
    const ownPrefix = isZero(gateway) && kernelPrefixRouteSource(addresses, name, destination, prefixLength) !== undefined;
    routes.push({
      family: 'inet6',
      destination: prefixLength === 0 && isZero(destination) ? '' : `${formatIp(destination)}/${prefixLength}`,
      source: '',
      gateway: isZero(gateway) ? '' : formatIp(gateway),
      outLinkIndex: linkIndexOf(links, name),
      outLinkName: name,
      table: localTable ? TABLE.local : TABLE.main,
      priority,
      scope: SCOPE.global,
      type,
      protocol: (flags & RTF_ADDRCONF) !== 0 ? RTPROT.ra : localTable || ownPrefix ? RTPROT.kernel : RTPROT.unspec,
      mtu: 0,
    });
  }
  return routes;
}

/**
 * The IPv4 local table from /proc/net/fib_trie: its LOCAL and BROADCAST entries are the ones
 * the kernel makes for each address (fib_add_ifaddr), so the address tells the link and the
 * preferred source. Entries no address explains are left out.
 */
export function parseFibTrieLocal(text: string, links: KernelLink[], addresses: KernelAddress[]): KernelRoute[] {
  const routes = new Map<string, KernelRoute>();
  let leaf: Uint8Array | undefined;
  const ipv4 = addresses.filter((address) => address.family === 'inet4');
  for (const line of text.split('\n')) {
    const leafMatch = /^\s*\|-- (\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (leafMatch !== null) {
      leaf = ipBytes(leafMatch[1]);
      continue;
    }
    const entry = /^\s*\/(\d+) (\w+) (LOCAL|BROADCAST)\s*$/.exec(line);
    if (entry === null || leaf === undefined) continue;
    const prefixLength = Number(entry[1]);
    const type = entry[3] === 'LOCAL' ? RTN.local : RTN.broadcast;
    const destination = leaf;
    const owner = ipv4.find((address) => {
      const ip = ipBytes(address.ip)!;
      const link = links.find((candidate) => candidate.name === address.linkName);
      if (type === RTN.local && prefixLength === 32) return formatIp(ip) === formatIp(destination);
      if (type === RTN.local) {
        // The prefix of an address on a loopback link is local as a whole.
        return link !== undefined && (link.flags & IFF.LOOPBACK) !== 0 && address.prefixLength === prefixLength && inPrefix(ip, destination, prefixLength);
      }
      // Broadcast: the last address of the address's prefix (or the network address, as the kernel adds both).
      if (address.prefixLength >= 31 || !inPrefix(destination, ip, address.prefixLength)) return false;
      const network = masked(ip, address.prefixLength);
      const last = network.map((byte, index) => byte | (~masked(new Uint8Array(4).fill(0xff), address.prefixLength)[index] & 0xff));
      return formatIp(destination) === formatIp(last) || formatIp(destination) === formatIp(network);
    });
    if (owner === undefined) continue;
    const route: KernelRoute = {
      family: 'inet4',
      destination: `${formatIp(destination)}/${prefixLength}`,
      source: owner.ip,
      gateway: '',
      outLinkIndex: owner.linkIndex,
      outLinkName: owner.linkName,
      table: TABLE.local,
      priority: 0,
      scope: type === RTN.local ? SCOPE.host : SCOPE.link,
      type,
      protocol: RTPROT.kernel,
      mtu: 0,
    };
    // Main and Local show the same trie until policy rules split them: keep each route once.
    routes.set(`${route.destination}/${route.type}/${route.outLinkName}`, route);
  }
  return [...routes.values()];
}

// ---------------------------------------------------------------------------------------------

async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

/** Everything the host's kernel shows of its links, addresses and routes. */
export async function readKernelNetwork(): Promise<KernelNetwork> {
  const links = await readLinks();
  const [ifInet6, route, ipv6Route, fibTrie] = await Promise.all([
    readText('/proc/net/if_inet6'),
    readText('/proc/net/route'),
    readText('/proc/net/ipv6_route'),
    readText('/proc/net/fib_trie'),
  ]);
  const addresses = [...ipv4Addresses(networkInterfaces() as Record<string, InterfaceAddress[]>, links), ...parseIfInet6(ifInet6)];
  const routes = [
    ...parseProcNetRoute(route, links, addresses),
    ...parseFibTrieLocal(fibTrie, links, addresses),
    ...parseIpv6Route(ipv6Route, links, addresses),
  ];
  return {links, addresses, routes};
}

export function isLoopbackLink(link: KernelLink): boolean {
  return link.type === ARPHRD_LOOPBACK || (link.flags & IFF.LOOPBACK) !== 0;
}
