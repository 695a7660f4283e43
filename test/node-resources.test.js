// The resources backed by real data (issue 7, part D), without processes: the kernel readers on
// recorded /proc and /sys text, each type's definition, yaml_spec (Go field order) and proto_spec
// (decoded with the generated code, field by field), the network controller's node and host
// views, etc/hosts rendering, and a read of this host's own kernel compared with what Node sees.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {describe, it} from 'node:test';
import {createNodeStore} from '../dist/agent/controllers/resource-types.js';
import {
  formatIp,
  linkFromSysfs,
  parseFibTrieLocal,
  parseIfInet6,
  parseIpv6Route,
  parseProcNetRoute,
  ipv4Addresses,
  readKernelNetwork,
} from '../dist/agent/controllers/kernel-network.js';
import {
  ADDRESS_STATUS_TYPE,
  addressId,
  comparePrefixes,
  LINK_STATUS_TYPE,
  linkStatusType,
  NetworkStatusController,
  NODE_ADDRESS_TYPE,
  ROUTE_STATUS_TYPE,
  routeId,
  routeStatusType,
} from '../dist/agent/controllers/network.js';
import {ETC_FILE_SPEC_TYPE, ETC_FILE_STATUS_TYPE, renderHosts, renderMachineId, writeEtcFile, writeMachineId} from '../dist/agent/controllers/etc-files.js';
import {base62} from '../dist/agent/controllers/identity.js';
import {PLATFORM_METADATA_TYPE, publishPlatformMetadata} from '../dist/agent/controllers/platform.js';
import {ipBytes} from '../dist/agent/net.js';
import {parseMachineConfig} from '../dist/machinery/machineconfig/parse.js';
import {
  AddressStatusSpec,
  LinkStatusSpec,
  NodeAddressSpec,
  RouteStatusSpec,
} from '../dist/machinery/api/resource/definitions/network/network.js';
import {EtcFileSpecSpec, EtcFileStatusSpec} from '../dist/machinery/api/resource/definitions/files/files.js';
import {PlatformMetadataSpec} from '../dist/machinery/api/resource/definitions/runtime/runtime.js';

const RD = 'ResourceDefinitions.meta.cosi.dev';
const quiet = {warn() {}, info() {}, error() {}};

// Recorded on a host with lo and eth0 (192.0.2.2/24, fd00::2/64), as the kernel writes them.
const IF_INET6 = `00000000000000000000000000000001 01 80 10 80       lo
fd000000000000000000000000000002 04 40 00 82     eth0
fe8000000000000000fc00fffe000001 04 40 20 80     eth0
`;
const PROC_NET_ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
`;
const IPV6_ROUTE = `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000003 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
`;
const FIB_TRIE = `Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.0.2.0/24 2 0 2
        +-- 192.0.2.0/30 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
`;

const LO = linkFromSysfs({
  name: 'lo',
  ifindex: '1\n',
  iflink: '1\n',
  type: '772\n',
  flags: '0x9\n',
  address: '00:00:00:00:00:00\n',
  broadcast: '00:00:00:00:00:00\n',
  mtu: '65536\n',
  operstate: 'unknown\n',
  carrier: '1\n',
  dormant: '0\n',
  addr_assign_type: '0\n',
  ifalias: '\n',
  present: new Set(),
});
const ETH0 = linkFromSysfs({
  name: 'eth0',
  ifindex: '4\n',
  iflink: '4\n',
  type: '1\n',
  flags: '0x1003\n',
  address: '02:fc:00:00:00:01\n',
  broadcast: 'ff:ff:ff:ff:ff:ff\n',
  mtu: '1400\n',
  operstate: 'up\n',
  carrier: '1\n',
  dormant: '0\n',
  addr_assign_type: '3\n',
  speed: '-1\n',
  ifalias: '\n',
  present: new Set(),
  driver: 'virtio_net',
});
const LINKS = [LO, ETH0];
const INTERFACES = {
  lo: [
    {address: '127.0.0.1', family: 'IPv4', cidr: '127.0.0.1/8'},
    {address: '::1', family: 'IPv6', cidr: '::1/128'},
  ],
  eth0: [{address: '192.0.2.2', family: 'IPv4', cidr: '192.0.2.2/24'}],
};
const ADDRESSES = [...ipv4Addresses(INTERFACES, LINKS), ...parseIfInet6(IF_INET6)];
const KERNEL = {
  links: LINKS,
  addresses: ADDRESSES,
  routes: [...parseProcNetRoute(PROC_NET_ROUTE, LINKS, ADDRESSES), ...parseFibTrieLocal(FIB_TRIE, LINKS, ADDRESSES), ...parseIpv6Route(IPV6_ROUTE, LINKS, ADDRESSES)],
};

function definition(store, type) {
  const resource = store.get({namespace: 'meta', type: RD, id: type.toLowerCase()});
  assert.ok(resource, `${type} is registered`);
  return resource.spec;
}

async function controllerStore(scope, address, options = {}) {
  const store = createNodeStore();
  const controller = new NetworkStatusController(store, {address, scope, sortAlgorithm: 'v1', log: quiet, read: async () => KERNEL, ...options});
  await controller.refresh();
  return {store, controller};
}

const ids = (store, type) => store.list('network', type).map((r) => r.metadata.id).sort();

describe('kernel readers on recorded text', () => {
  it('formats addresses as Go netip does', () => {
    assert.equal(formatIp(Uint8Array.from([127, 57, 0, 2])), '127.57.0.2');
    const v6 = (hex) => formatIp(Uint8Array.from(hex.match(/../g), (h) => Number.parseInt(h, 16)));
    assert.equal(v6('00000000000000000000000000000001'), '::1');
    assert.equal(v6('fe8000000000000000fc00fffe000001'), 'fe80::fc:ff:fe00:1');
    assert.equal(v6('20010db8000000010000000000000001'), '2001:db8:0:1::1', 'the longest zero run, not the first');
    assert.equal(v6('20010db8000100000001000100010001'), '2001:db8:1:0:1:1:1:1', 'a single zero group stays');
    assert.equal(v6('00000000000000000000000000000000'), '::');
    assert.equal(v6('00000000000000000000ffffc0000202'), '::ffff:192.0.2.2', 'IPv4-mapped keeps the dotted form');
    assert.equal(v6('000000000000000000000000c0000202'), '::c000:202', 'IPv4-compatible does not');
  });

  it('reads a link from sysfs: netlink flags, no IFLA_LINK onto itself, permanent address only when the kernel has one', () => {
    assert.deepEqual(
      {index: LO.index, type: LO.type, linkIndex: LO.linkIndex, flags: LO.flags, operationalState: LO.operationalState, linkState: LO.linkState, permanentAddr: LO.permanentAddr},
      {index: 1, type: 772, linkIndex: 0, flags: 0x1 | 0x8 | 0x40 | 0x10000, operationalState: 0, linkState: true, permanentAddr: ''},
    );
    assert.equal(ETH0.permanentAddr, '', 'an address set after registration hides the permanent one');
    assert.equal(ETH0.speedMegabits, 0, 'speed -1 is unknown');
    assert.equal(ETH0.operationalState, 6);
    const down = linkFromSysfs({name: 'br0', ifindex: '7', iflink: '7', type: '1', flags: '0x1002', address: '02:00:00:00:00:07', addr_assign_type: '0', operstate: 'down', present: new Set(['bridge'])});
    assert.equal(down.flags, 0x1002, 'a link that is not up gets no RUNNING/LOWER_UP');
    assert.equal(down.kind, 'bridge');
    assert.equal(down.permanentAddr, '02:00:00:00:00:07');
    const port = linkFromSysfs({name: 'veth1', ifindex: '9', iflink: '8', type: '1', flags: '0x1003', operstate: 'up', carrier: '1', present: new Set(['brport'])});
    assert.equal(port.linkIndex, 8);
    assert.equal(port.slaveKind, 'bridge');
    assert.equal(linkFromSysfs({name: 'gone', present: new Set()}), undefined, 'a link that vanished while read');
  });

  it('an IPv4 address with a label (eth0:1 in getifaddrs) is an address of its link', () => {
    const addresses = ipv4Addresses(
      {eth0: [{address: '192.0.2.2', family: 'IPv4', cidr: '192.0.2.2/24'}], 'eth0:1': [{address: '198.51.100.7', family: 'IPv4', cidr: '198.51.100.7/25'}]},
      LINKS,
    );
    assert.deepEqual(addresses.map((address) => addressId(address)), ['eth0/192.0.2.2/24', 'eth0/198.51.100.7/25']);
    assert.equal(addresses[1].linkIndex, 4);
  });

  it('reads IPv6 addresses with scope and flags from if_inet6', () => {
    const [loopback, ula, linkLocal] = parseIfInet6(IF_INET6);
    assert.deepEqual(loopback, {address: '::1/128', ip: '::1', prefixLength: 128, linkIndex: 1, linkName: 'lo', family: 'inet6', scope: 254, flags: 0x80});
    assert.equal(ula.address, 'fd00::2/64');
    assert.equal(ula.scope, 0);
    assert.equal(ula.flags, 0x82);
    assert.equal(linkLocal.scope, 253);
  });

  it('maps if_inet6 scope bits as netlink does: site-local (0x40) is site, v4-compatible (0x80) global', () => {
    const [siteLocal, compat] = parseIfInet6(`fec00000000000000000000000000001 04 40 40 80     eth0
000000000000000000000000c0000202 04 60 80 80     eth0
`);
    assert.deepEqual([siteLocal.address, siteLocal.scope], ['fec0::1/64', 200]);
    assert.deepEqual([compat.address, compat.scope], ['::c000:202/96', 0]);
  });

  it('/proc/net/route: device-less routes are blackhole or unreachable, with no link; the MTU column (advmss + 40) is not the route MTU', () => {
    const routes = parseProcNetRoute(`Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t1400\t0\t0
*\t0000F40A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
*\t0001F40A\t00000000\t0200\t0\t0\t0\t00FFFFFF\t0\t0\t0
`, LINKS, ADDRESSES);
    assert.deepEqual(
      routes.map((route) => [routeId(route), route.type, route.scope, route.outLinkName, route.outLinkIndex, route.mtu]),
      [
        ['inet4//192.0.2.0/24/0', 1, 253, 'eth0', 4, 0],
        ['inet4//10.244.0.0/24/0', 6, 0, '', 0, 0],
        ['inet4//10.244.1.0/24/0', 7, 0, '', 0, 0],
      ],
    );
    assert.doesNotMatch(routeStatusType.yamlSpec(routes[1]), /outLink/);
    assert.match(routeStatusType.yamlSpec(routes[1]), /^type: blackhole$/m);
  });

  it('ipv6_route: the subnet-router anycast route is the kernel\'s, in the local table', () => {
    const [anycast] = parseIpv6Route(`fd000000000000000000000000000000 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 00100001     eth0
`, LINKS, ADDRESSES);
    assert.equal(routeId(anycast), 'local/eth0/inet6//fd00::/128/0');
    assert.deepEqual([anycast.type, anycast.table, anycast.protocol], [4, 255, 2]);
  });

  it('reads the IPv4 main table, the local table from fib_trie and IPv6 routes', () => {
    const byId = Object.fromEntries(KERNEL.routes.map((route) => [routeId(route), route]));
    assert.deepEqual(Object.keys(byId).sort(), [
      'eth0/inet6//fd00::/64/256',
      'eth0/inet6/fd00::1//1024',
      'inet4//192.0.2.0/24/0',
      'inet4/192.0.2.1//0',
      'local/eth0/inet6//ff00::/8/256',
      'local/inet4//127.0.0.0/8/0',
      'local/inet4//127.0.0.1/32/0',
      'local/inet4//127.255.255.255/32/0',
      'local/inet4//192.0.2.2/32/0',
      'local/inet4//192.0.2.255/32/0',
      'local/lo/inet6//::1/128/0',
    ]);
    assert.deepEqual(byId['inet4//192.0.2.0/24/0'], {
      family: 'inet4', destination: '192.0.2.0/24', source: '192.0.2.2', gateway: '', outLinkIndex: 4, outLinkName: 'eth0',
      table: 254, priority: 0, scope: 253, type: 1, protocol: 2, mtu: 0,
    });
    assert.equal(byId['inet4/192.0.2.1//0'].scope, 0);
    assert.equal(byId['inet4/192.0.2.1//0'].protocol, 0, 'procfs does not tell how a gateway route was added');
    const loLocal = byId['local/inet4//127.0.0.0/8/0'];
    assert.deepEqual([loLocal.outLinkName, loLocal.source, loLocal.type, loLocal.scope], ['lo', '127.0.0.1', 2, 254]);
    assert.equal(byId['local/inet4//192.0.2.255/32/0'].type, 3);
    assert.equal(byId['local/eth0/inet6//ff00::/8/256'].type, 5);
    assert.equal(byId['eth0/inet6//fd00::/64/256'].protocol, 2, 'the prefix route of an address is the kernel\'s');
  });
});

describe('resource definitions as Talos declares them', () => {
  const store = createNodeStore();
  const cases = [
    [LINK_STATUS_TYPE, 'LinkStatus', 'network', ['link', 'links', 'linkstatus', 'ls'], ['Alias', 'Type', 'Kind', 'Hw Addr', 'Oper State', 'Link State']],
    [ADDRESS_STATUS_TYPE, 'AddressStatus', 'network', ['address', 'addresses', 'addressstatus', 'as'], ['Address', 'Link']],
    [ROUTE_STATUS_TYPE, 'RouteStatus', 'network', ['route', 'routes', 'routestatus', 'rs'], ['Destination', 'Gateway', 'Link', 'Metric', 'Table']],
    [NODE_ADDRESS_TYPE, 'NodeAddress', 'network', ['nodeaddress', 'na', 'nas'], ['Addresses', 'SortAlgorithm']],
    [ETC_FILE_SPEC_TYPE, 'EtcFileSpec', 'files', ['etcfilespec', 'efs'], []],
    [ETC_FILE_STATUS_TYPE, 'EtcFileStatus', 'files', ['etcfilestatus', 'efs'], []],
    [PLATFORM_METADATA_TYPE, 'PlatformMetadata', 'runtime', ['platformmetadata', 'pm', 'pms'], ['Platform', 'Type', 'Region', 'Zone']],
  ];
  for (const [type, displayType, namespace, aliases, columns] of cases) {
    it(`${type}`, () => {
      const spec = definition(store, type);
      assert.equal(spec.displayType, displayType);
      assert.equal(spec.defaultNamespace, namespace);
      assert.deepEqual(spec.aliases, aliases);
      assert.deepEqual(spec.printColumns.map((column) => column.name), columns);
      assert.equal(spec.sensitivity, undefined);
    });
  }
  it('PlatformMetadatas.talos.dev has a one-part suffix', () => {
    assert.deepEqual(definition(store, PLATFORM_METADATA_TYPE).allAliases, ['platformmetadatas', 'platformmetadatas.talos', 'platformmetadata', 'pm', 'pms']);
  });
});

describe('a node of a local cluster (node scope)', () => {
  it('shows its loopback address on lo with lo\'s prefix, the lo link and the routes through lo', async () => {
    const {store} = await controllerStore('node', '127.57.0.2');
    assert.deepEqual(ids(store, LINK_STATUS_TYPE), ['lo']);
    assert.deepEqual(ids(store, ADDRESS_STATUS_TYPE), ['lo/127.57.0.2/8']);
    assert.deepEqual(ids(store, ROUTE_STATUS_TYPE), ['local/inet4//127.0.0.0/8/0', 'local/inet4//127.0.0.1/32/0', 'local/inet4//127.255.255.255/32/0', 'local/lo/inet6//::1/128/0']);
    assert.deepEqual(ids(store, NODE_ADDRESS_TYPE), ['accumulative', 'current', 'default', 'routed']);
    const address = store.get({namespace: 'network', type: ADDRESS_STATUS_TYPE, id: 'lo/127.57.0.2/8'});
    assert.equal(store.yamlSpec(address), `address: 127.57.0.2/8
local: 127.57.0.2
linkIndex: 1
linkName: lo
family: inet4
scope: host
flags: permanent
priority: 0
`);
    const decoded = AddressStatusSpec.decode(store.protoSpec(address));
    assert.deepEqual([...decoded.address.ip], [127, 57, 0, 2]);
    assert.equal(decoded.address.prefixLength, 8);
    assert.deepEqual([...decoded.local.ip], [127, 57, 0, 2]);
    assert.equal(decoded.broadcast, undefined);
    assert.deepEqual([decoded.linkIndex, decoded.linkName, decoded.family, decoded.scope, decoded.flags, decoded.priority], [1, 'lo', 2, 254, 0x80, 0]);
  });

  it('a node whose address a link really carries shows that link', async () => {
    const {store} = await controllerStore('node', '192.0.2.2');
    assert.deepEqual(ids(store, LINK_STATUS_TYPE), ['eth0']);
    assert.deepEqual(ids(store, ADDRESS_STATUS_TYPE), ['eth0/192.0.2.2/24']);
    assert.ok(ids(store, ROUTE_STATUS_TYPE).every((id) => !id.includes('/lo/') && !id.includes('127.')));
  });

  it('an address no link carries publishes nothing and says so once', async () => {
    const warnings = [];
    const {store, controller} = await controllerStore('node', '203.0.113.9', {log: {...quiet, warn: (m) => warnings.push(m)}});
    await controller.refresh();
    assert.deepEqual(ids(store, LINK_STATUS_TYPE), []);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /no link of this host carries the node address 203\.0\.113\.9/);
  });
});

describe('the host (host scope)', () => {
  it('shows every link, address and route; NodeAddresses leave loopback and link-local out', async () => {
    const {store} = await controllerStore('host', '192.0.2.2');
    assert.deepEqual(ids(store, LINK_STATUS_TYPE), ['eth0', 'lo']);
    assert.deepEqual(ids(store, ADDRESS_STATUS_TYPE), ['eth0/192.0.2.2/24', 'eth0/fd00::2/64', 'eth0/fe80::fc:ff:fe00:1/64', 'lo/127.0.0.1/8', 'lo/::1/128']);
    assert.equal(ids(store, ROUTE_STATUS_TYPE).length, KERNEL.routes.length);
    const spec = (id) => store.get({namespace: 'network', type: NODE_ADDRESS_TYPE, id}).spec;
    assert.deepEqual(spec('current'), {addresses: ['192.0.2.2/24', 'fd00::2/64'], sortAlgorithm: 'v1'});
    assert.deepEqual(spec('default'), {addresses: ['192.0.2.2/24'], sortAlgorithm: 'v1'});
    const decoded = NodeAddressSpec.decode(store.protoSpec(store.get({namespace: 'network', type: NODE_ADDRESS_TYPE, id: 'current'})));
    assert.deepEqual(decoded.addresses.map((a) => [[...a.ip].length, a.prefixLength]), [[4, 24], [16, 64]]);
    assert.equal(decoded.sortAlgorithm, 0);
  });

  it('follows the kernel: a vanished link and its addresses are destroyed, accumulative keeps what was seen', async () => {
    let kernel = KERNEL;
    const store = createNodeStore();
    const controller = new NetworkStatusController(store, {address: '192.0.2.2', scope: 'host', sortAlgorithm: 'v1', log: quiet, read: async () => kernel});
    await controller.refresh();
    await controller.refresh();
    assert.ok(store.list('network', ADDRESS_STATUS_TYPE).every((r) => r.metadata.version === 1), 'an unchanged kernel changes no resource');
    kernel = {links: [LO], addresses: ADDRESSES.filter((a) => a.linkName === 'lo'), routes: KERNEL.routes.filter((r) => r.outLinkName === 'lo')};
    await controller.refresh();
    assert.deepEqual(ids(store, LINK_STATUS_TYPE), ['lo']);
    assert.deepEqual(ids(store, ADDRESS_STATUS_TYPE), ['lo/127.0.0.1/8', 'lo/::1/128']);
    const spec = (id) => store.get({namespace: 'network', type: NODE_ADDRESS_TYPE, id}).spec.addresses;
    assert.deepEqual(spec('current'), []);
    assert.deepEqual(spec('accumulative'), ['192.0.2.2/24', 'fd00::2/64']);
    assert.deepEqual(spec('default'), ['192.0.2.2/24'], 'the default address stays once chosen');
  });

  it('a kernel that cannot be read (no sysfs) publishes nothing and is reported once, not every interval', async () => {
    const warnings = [];
    const store = createNodeStore();
    const controller = new NetworkStatusController(store, {
      address: '192.0.2.2', scope: 'host', sortAlgorithm: 'v1', log: {...quiet, warn: (m) => warnings.push(m)},
      read: async () => { throw new Error("ENOENT: no such file or directory, scandir '/sys/class/net'"); },
    });
    await controller.refresh();
    await controller.refresh();
    assert.deepEqual(ids(store, LINK_STATUS_TYPE), []);
    assert.deepEqual(warnings, ["cannot read the network state: ENOENT: no such file or directory, scandir '/sys/class/net'"]);
  });

  it('refreshes on its own every interval and stops when told', async () => {
    let reads = 0;
    const store = createNodeStore();
    const controller = new NetworkStatusController(store, {address: '192.0.2.2', scope: 'host', sortAlgorithm: 'v1', log: quiet, intervalMs: 20, read: async () => (reads++, KERNEL)});
    controller.start();
    // Wait for three periodic reads (a busy machine delays timers; a fixed sleep made this flaky).
    const deadline = Date.now() + 5000;
    while (reads < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await controller.stop();
    const after = reads;
    assert.ok(after >= 3, `${after} reads`);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(reads, after, 'no read after stop');
    assert.deepEqual(ids(store, LINK_STATUS_TYPE), ['eth0', 'lo']);
  });

  it('with a cluster section: the no-k8s and only-k8s variants split by the pod and service subnets', async () => {
    const {store} = await controllerStore('host', '192.0.2.2', {kubernetesSubnets: ['192.0.2.0/25', '10.96.0.0/12', 'not-a-cidr']});
    const spec = (id) => store.get({namespace: 'network', type: NODE_ADDRESS_TYPE, id})?.spec.addresses;
    assert.deepEqual(ids(store, NODE_ADDRESS_TYPE), [
      'accumulative', 'accumulative-no-k8s', 'accumulative-only-k8s', 'current', 'current-no-k8s', 'current-only-k8s', 'default', 'routed', 'routed-no-k8s', 'routed-only-k8s',
    ]);
    assert.deepEqual(spec('current-no-k8s'), ['fd00::2/64']);
    assert.deepEqual(spec('routed-only-k8s'), ['192.0.2.2/24'], 'overlapping, though the address is outside the /25');
    const {store: plain} = await controllerStore('host', '192.0.2.2');
    assert.deepEqual(ids(plain, NODE_ADDRESS_TYPE), ['accumulative', 'current', 'default', 'routed']);
  });

  it('sorts as Talos\'s v1 and v2 algorithms', () => {
    const list = ['10.0.0.5/8', '10.0.0.5/24', '10.0.0.1/32', 'fd00::1/64', '10.0.0.0/8'];
    assert.deepEqual([...list].sort((a, b) => comparePrefixes('v1', a, b)), ['10.0.0.0/8', '10.0.0.1/32', '10.0.0.5/8', '10.0.0.5/24', 'fd00::1/64']);
    assert.deepEqual([...list].sort((a, b) => comparePrefixes('v2', a, b)), ['10.0.0.1/32', '10.0.0.0/8', '10.0.0.5/24', '10.0.0.5/8', 'fd00::1/64']);
  });

  it('reads this host\'s own kernel: the links of /sys/class/net and the addresses Node sees', async () => {
    const kernel = await readKernelNetwork();
    assert.deepEqual(kernel.links.map((link) => link.name).sort(), fs.readdirSync('/sys/class/net').sort());
    for (const link of kernel.links) {
      assert.equal(link.index, Number(fs.readFileSync(`/sys/class/net/${link.name}/ifindex`, 'utf8')));
      assert.equal(link.mtu, Number(fs.readFileSync(`/sys/class/net/${link.name}/mtu`, 'utf8')));
    }
    const seen = new Set(kernel.addresses.map((a) => `${a.linkName} ${a.address}`));
    for (const [name, entries] of Object.entries(os.networkInterfaces())) {
      for (const entry of entries) {
        const ip = formatIp(ipBytes(entry.address));
        assert.ok(seen.has(`${name} ${ip}/${entry.cidr.split('/')[1]}`), `${name} ${entry.cidr}`);
      }
    }
    assert.ok(kernel.routes.some((route) => route.outLinkName === 'lo' && route.table === 255), 'the local table has lo\'s routes');
  });
});

describe('yaml_spec and proto_spec of each type', () => {
  it('LinkStatus lo: Go field order, nethelpers names, proto fields', async () => {
    const {store} = await controllerStore('node', '127.57.0.2');
    const link = store.get({namespace: 'network', type: LINK_STATUS_TYPE, id: 'lo'});
    assert.equal(store.yamlSpec(link), `index: 1
type: loopback
linkIndex: 0
flags: UP,LOOPBACK,RUNNING,LOWER_UP
hardwareAddr: "00:00:00:00:00:00"
permanentAddr: ""
broadcastAddr: "00:00:00:00:00:00"
mtu: 65536
queueDisc: ""
operationalState: unknown
kind: ""
slaveKind: ""
linkState: true
port: Other
duplex: Unknown
`);
    const decoded = LinkStatusSpec.decode(store.protoSpec(link));
    assert.deepEqual(
      [decoded.index, decoded.type, decoded.linkIndex, decoded.flags, [...decoded.hardwareAddr], [...decoded.permanentAddr], decoded.mtu, decoded.operationalState, decoded.linkState, decoded.speedMegabits, decoded.port, decoded.duplex],
      [1, 772, 0, 0x10049, [0, 0, 0, 0, 0, 0], [], 65536, 0, true, 0n, 255, 255],
    );
  });

  it('LinkStatus eth0: omitempty fields appear when set', async () => {
    const {store} = await controllerStore('host', '192.0.2.2');
    const yaml = store.yamlSpec(store.get({namespace: 'network', type: LINK_STATUS_TYPE, id: 'eth0'}));
    assert.match(yaml, /^slaveKind: ""\ndriver: virtio_net\nlinkState: true\nport: Other\n/m);
    assert.match(yaml, /^flags: UP,BROADCAST,RUNNING,MULTICAST,LOWER_UP$/m);
  });

  it('LinkStatus of a PCI device: busPath and pciID from its uevent, as Talos reads them, before driver', () => {
    const link = linkFromSysfs({
      name: 'enp3s0',
      ifindex: '2\n',
      type: '1\n',
      flags: '0x1003\n',
      address: 'a8:a1:59:00:00:01\n',
      addr_assign_type: '0\n',
      operstate: 'up\n',
      carrier: '1\n',
      present: new Set(),
      driver: 'igc',
      deviceUevent: 'DRIVER=igc\nPCI_CLASS=20000\nPCI_ID=8086:15F3\nPCI_SUBSYS_ID=1458:E000\nPCI_SLOT_NAME=0000:03:00.0\nMODALIAS=pci:v00008086d000015F3sv00001458sd0000E000bc02sc00i00\n',
    });
    const yaml = linkStatusType.yamlSpec(link);
    // A bus path reads as a YAML 1.1 base-60 number, so Go's yaml quotes it.
    assert.match(yaml, /^slaveKind: ""\nbusPath: "0000:03:00.0"\npciID: 8086:15F3\ndriver: igc\nlinkState: true\n/m);
    const decoded = LinkStatusSpec.decode(linkStatusType.protoSpec(link));
    assert.deepEqual([decoded.busPath, decoded.pciid, decoded.driver], ['0000:03:00.0', '8086:15F3', 'igc']);
    // A virtio device's uevent names no PCI slot: both stay out.
    assert.doesNotMatch(linkStatusType.yamlSpec(ETH0), /busPath|pciID/);
  });

  it('RouteStatus: dst/src/gateway keys, empty default destination, proto field numbers', async () => {
    const {store} = await controllerStore('host', '192.0.2.2');
    const route = store.get({namespace: 'network', type: ROUTE_STATUS_TYPE, id: 'inet4/192.0.2.1//0'});
    assert.equal(store.yamlSpec(route), `family: inet4
dst: ""
src: ""
gateway: 192.0.2.1
outLinkIndex: 4
outLinkName: eth0
table: main
priority: 0
scope: global
type: unicast
flags: ""
protocol: unspec
`);
    const decoded = RouteStatusSpec.decode(store.protoSpec(route));
    assert.equal(decoded.destination, undefined);
    assert.deepEqual([...decoded.gateway.ip], [192, 0, 2, 1]);
    assert.deepEqual([decoded.family, decoded.outLinkIndex, decoded.outLinkName, decoded.table, decoded.scope, decoded.type, decoded.protocol], [2, 4, 'eth0', 254, 0, 1, 0]);
    const v6 = store.get({namespace: 'network', type: ROUTE_STATUS_TYPE, id: 'local/lo/inet6//::1/128/0'});
    const decodedV6 = RouteStatusSpec.decode(store.protoSpec(v6));
    assert.equal(decodedV6.destination.ip.length, 16);
    assert.equal(decodedV6.destination.prefixLength, 128);
    assert.equal(decodedV6.table, 255);
  });

  it('NodeAddress', async () => {
    const {store} = await controllerStore('node', '127.57.0.2');
    assert.equal(store.yamlSpec(store.get({namespace: 'network', type: NODE_ADDRESS_TYPE, id: 'default'})), 'addresses:\n    - 127.57.0.2/8\nsortAlgorithm: v1\n');
    const v2 = await controllerStore('node', '127.57.0.2', {sortAlgorithm: 'v2'});
    const resource = v2.store.get({namespace: 'network', type: NODE_ADDRESS_TYPE, id: 'current'});
    assert.match(v2.store.yamlSpec(resource), /sortAlgorithm: v2/);
    assert.equal(NodeAddressSpec.decode(v2.store.protoSpec(resource)).sortAlgorithm, 1);
  });

  it('EtcFileSpec/EtcFileStatus: the file is written, then the status names the spec version', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-etc-'));
    try {
      const store = createNodeStore();
      await writeEtcFile(store, root, 'hostname', 'talos-127-57-0-2\n', 0o644);
      await writeEtcFile(store, root, 'hostname', 'cp-1\n', 0o644);
      assert.equal(fs.readFileSync(path.join(root, 'etc/hostname'), 'utf8'), 'cp-1\n');
      assert.equal(fs.statSync(path.join(root, 'etc/hostname')).mode & 0o777, 0o644);
      const spec = store.get({namespace: 'files', type: ETC_FILE_SPEC_TYPE, id: 'hostname'});
      assert.equal(spec.metadata.owner, 'network.EtcFileController');
      assert.equal(store.yamlSpec(spec), 'contents: |\n    cp-1\nmode: 420\nselinux_label: ""\n');
      const decoded = EtcFileSpecSpec.decode(store.protoSpec(spec));
      assert.deepEqual([Buffer.from(decoded.contents).toString(), decoded.mode, decoded.selinuxLabel], ['cp-1\n', 0o644, '']);
      const status = store.get({namespace: 'files', type: ETC_FILE_STATUS_TYPE, id: 'hostname'});
      assert.equal(status.spec.specVersion, '2');
      assert.equal(store.yamlSpec(status), 'specVersion: "2"\n');
      assert.equal(EtcFileStatusSpec.decode(store.protoSpec(status)).specVersion, '2');
    } finally {
      fs.rmSync(root, {recursive: true, force: true});
    }
  });

  it('PlatformMetadata: platform osd and the hostname; empty fields omitted', () => {
    const store = createNodeStore();
    publishPlatformMetadata(store, 'cp-1');
    const resource = store.get({namespace: 'runtime', type: PLATFORM_METADATA_TYPE, id: 'platformmetadata'});
    assert.equal(resource.metadata.owner, 'network.PlatformConfigApplyController');
    assert.equal(store.yamlSpec(resource), 'platform: osd\nhostname: cp-1\n');
    const decoded = PlatformMetadataSpec.decode(store.protoSpec(resource));
    assert.deepEqual([decoded.platform, decoded.hostname, decoded.region, decoded.spot], ['osd', 'cp-1', '', false]);
  });
});

describe('etc/machine-id', () => {
  it('is the first 16 bytes of the node id, in hex, leading zero bytes kept', () => {
    const bytes = Uint8Array.from({length: 32}, (_, i) => (i < 2 ? 0 : (i * 37) & 0xff));
    assert.equal(renderMachineId(base62(bytes)), Buffer.from(bytes.slice(0, 16)).toString('hex'));
    assert.throws(() => renderMachineId('not/base62'), /is not base62/);
  });

  it('is an EtcFileSpec of the node identity controller, as in Talos, written with mode 0444', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-etc-'));
    try {
      const store = createNodeStore();
      const nodeId = base62(Uint8Array.from({length: 32}, (_, i) => i + 1));
      await writeMachineId(store, root, nodeId);
      const spec = store.get({namespace: 'files', type: ETC_FILE_SPEC_TYPE, id: 'machine-id'});
      assert.equal(spec.metadata.owner, 'cluster.NodeIdentityController');
      assert.equal(spec.spec.mode, 0o444);
      assert.equal(fs.readFileSync(path.join(root, 'etc/machine-id'), 'utf8'), renderMachineId(nodeId));
      assert.equal(fs.statSync(path.join(root, 'etc/machine-id')).mode & 0o777, 0o444);
      assert.equal(store.get({namespace: 'files', type: ETC_FILE_STATUS_TYPE, id: 'machine-id'}).metadata.owner, 'files.EtcFileController');
    } finally {
      fs.rmSync(root, {recursive: true, force: true});
    }
  });
});

describe('etc/hosts', () => {
  it('renders as Talos: aligned first column, FQDN then short name, extra host entries last', () => {
    const config = parseMachineConfig(new TextEncoder().encode(`version: v1alpha1
machine:
  type: worker
  network:
    extraHostEntries:
      - ip: 2001:db8::10
        aliases: [registry.lab, registry]
cluster:
  controlPlane:
    endpoint: https://127.57.0.2:6443
`));
    assert.equal(
      renderHosts({hostname: 'cp-1', domainname: 'lab.example'}, '127.57.0.2', config),
      `127.0.0.1    localhost
127.57.0.2   cp-1.lab.example cp-1
::1          localhost ip6-localhost ip6-loopback
ff02::1      ip6-allnodes
ff02::2      ip6-allrouters
2001:db8::10 registry.lab registry
`,
    );
  });
});
