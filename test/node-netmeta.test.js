// Sockets, container stats, time and META on plain data and in-process parts: the /proc/net
// parser and Go's IP text, the request flags and filters, process-tree usage, the SNTP client
// against a real UDP responder on 127.56.1.x, Talos's ADV layout and the META store with its
// MetaKeys resources, the key parser, and the printers.
import assert from 'node:assert/strict';
import {createSocket} from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {createNodeStore} from '../dist/agent/controllers/resource-types.js';
import {ADV_LENGTH, fitsAdv, marshalAdv, MetaStore, metaKeyId, unmarshalAdv} from '../dist/agent/inside/meta-store.js';
import {ProcessSnapshot} from '../dist/agent/inside/process-usage.js';
import {formatGoIp, parseSocketTable, SocketTableError} from '../dist/agent/inside/sockets.js';
import {ntpToUnixNs, querySntp, splitServer, unixNsToNtp, validateAnswer} from '../dist/agent/inside/sntp.js';
import {createServer} from 'node:net';
import {acceptedByFilter, netstatMethods, requestedTables} from '../dist/agent/server/netstat-methods.js';
import {containerStat} from '../dist/agent/server/stats-methods.js';
import {configuredTimeServer, DEFAULT_TIME_SERVER} from '../dist/agent/server/time-methods.js';
import {NetstatRequest, NetstatRequest_Filter, NetstatResponse} from '../dist/machinery/api/machine/machine.js';
import {MetaKeySpec} from '../dist/machinery/api/resource/definitions/runtime/runtime.js';
import {parseMetaKey} from '../dist/cli/actions/meta/key.js';
import {netstatRow, renderNetstat} from '../dist/cli/output/netstat-view.js';
import {megabytes, renderStats} from '../dist/cli/output/stats-view.js';
import {goTimeString, renderTime, rfc3339Nano} from '../dist/cli/output/time-view.js';
import {decodeTimeResponse, encodeTimeResponse, timestampFromNs} from '../dist/machinery/time-response.js';
import {TimeResponse} from '../dist/machinery/api/time/time.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0309387F:C350 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 38268 1 000000004933e190 100 0 0 10 0
   1: 0209387F:9C4A 0309387F:C350 01 0000002A:00000003 02:000003E8 00000001  1000        0 40001 2 00000000c7eb23e3 20 4 30 10 -1
`;

const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:C350 0000000000000000FFFF00000200007F:9C4A 01 00000000:00000000 00:00000000 00000000     0        0 5002 1 0000000000000000 20 4 30 10 -1
   2: B80D0120000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5003 2 0000000000000000 0
`;

describe('socket tables', () => {
  it('parses /proc/net/tcp as Talos reads it: little-endian words, hex queues and timers, decimal uid and inode', () => {
    const [listen, connected] = parseSocketTable(TCP, 'tcp');
    assert.equal(listen.localIp, '127.56.9.3');
    assert.equal(listen.localPort, 50000);
    assert.equal(listen.remoteIp, '0.0.0.0');
    assert.equal(listen.remoteUnspecified, true);
    assert.equal(listen.state, 10);
    assert.equal(listen.inode, 38268n);
    assert.equal(connected.remoteIp, '127.56.9.3');
    assert.equal(connected.remotePort, 50000);
    assert.equal(connected.state, 1);
    assert.equal(connected.txQueue, 42n);
    assert.equal(connected.rxQueue, 3n);
    assert.equal(connected.timerActive, 2);
    assert.equal(connected.timerWhen, 1000n);
    assert.equal(connected.retransmits, 1n);
    assert.equal(connected.uid, 1000);
    assert.equal(connected.pointer, 0xc7eb23e3n);
  });

  it('prints IPv6 as Go does: :: for the longest zero run, IPv4-mapped as dotted quad', () => {
    const [any, mapped, v6] = parseSocketTable(TCP6, 'tcp6');
    assert.equal(any.localIp, '::');
    assert.equal(any.remoteUnspecified, true);
    assert.equal(mapped.localIp, '127.0.0.1');
    assert.equal(mapped.remoteIp, '127.0.0.2');
    assert.equal(v6.localIp, '2001:db8::1');
    assert.equal(v6.transport, 'tcp6');
    assert.equal(formatGoIp(Buffer.from('20010db8000000010000000000000001', 'hex')), '2001:db8:0:1::1');
    assert.equal(formatGoIp(Buffer.from('20010db8000100000001000100010001', 'hex')), '2001:db8:1:0:1:1:1:1', 'a single zero group is not compressed');
    assert.equal(formatGoIp(Buffer.from('00000000000000000000000000000001', 'hex')), '::1');
  });

  it('refuses a damaged line naming the table and the line', () => {
    assert.throws(() => parseSocketTable(`header\n   0: 0100007F:XYZ0 00000000:0000 0A\n`, 'udp'), (error) => error instanceof SocketTableError && /line 2 of \/proc\/net\/udp/.test(error.message));
  });

  it('takes the tables and the filter from the request as Talos does', () => {
    const l4 = {tcp: true, tcp6: false, udp: true, udp6: false, udplite: false, udplite6: false, raw: false, raw6: true};
    assert.deepEqual(requestedTables({filter: 0, l4proto: l4, netns: {hostnetwork: true, netns: [], allnetns: false}}), ['tcp', 'udp', 'raw6']);
    assert.deepEqual(requestedTables({filter: 0, l4proto: l4, netns: {hostnetwork: false, netns: [], allnetns: false}}), [], 'no host network: nothing of the host');
    const [listen, connected] = parseSocketTable(TCP, 'tcp');
    assert.equal(acceptedByFilter(NetstatRequest_Filter.LISTENING, listen), true);
    assert.equal(acceptedByFilter(NetstatRequest_Filter.LISTENING, connected), false);
    assert.equal(acceptedByFilter(NetstatRequest_Filter.CONNECTED, connected), true);
    assert.equal(acceptedByFilter(NetstatRequest_Filter.CONNECTED, listen), false);
    assert.equal(acceptedByFilter(NetstatRequest_Filter.ALL, listen), true);
  });
});

describe('Netstat on this host', () => {
  let server;
  before(async () => {
    server = createServer();
    await new Promise((resolve) => server.listen(0, '127.56.1.3', resolve));
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const listening = async (inside, pid) => {
    const [[, method]] = netstatMethods(inside);
    const request = {filter: NetstatRequest_Filter.LISTENING, feature: {pid}, l4proto: {tcp: true, tcp6: true, udp: false, udp6: false, udplite: false, udplite6: false, raw: false, raw6: false}, netns: {hostnetwork: true, netns: [], allnetns: false}};
    const answer = await method.handle(Buffer.from(NetstatRequest.encode(request).finish()), {signal: new AbortController().signal});
    return NetstatResponse.decode(answer).messages[0].connectrecord;
  };

  it('a node sees the sockets its processes hold, with the owner for -p; another node does not', async () => {
    const port = server.address().port;
    const mine = (records) => records.filter((r) => r.localip === '127.56.1.3' && r.localport === port);
    const own = mine(await listening({scope: 'node', pid: process.pid}, true));
    assert.equal(own.length, 1);
    assert.equal(own[0].l4proto, 'tcp');
    assert.equal(own[0].state, 10);
    assert.equal(own[0].remoteip, '0.0.0.0');
    assert.deepEqual(own[0].process, {pid: process.pid, name: fs.readFileSync('/proc/self/comm', 'utf8').trim()});
    const withoutPid = mine(await listening({scope: 'node', pid: process.pid}, false));
    assert.deepEqual(withoutPid[0].process, {pid: 0, name: ''});
    // A node whose tree is some other process: this socket is not its.
    const other = mine(await listening({scope: 'node', pid: 2 ** 22 + 7}, true));
    assert.deepEqual(other, []);
    // A host agent: every socket of the host.
    assert.equal(mine(await listening({scope: 'host', pid: 2 ** 22 + 7}, false)).length, 1);
  });
});

describe('container usage', () => {
  const stat = (pid, ppid, pgrp, rss, ticks) => ({pid, ppid, pgrp, comm: `p${pid}`, state: 'S', utime: ticks, stime: 1, cutime: 2, cstime: 0, threads: 1, starttime: 0, vsize: 0, rss});
  const snapshot = new ProcessSnapshot([stat(10, 1, 10, 100, 5), stat(11, 10, 10, 50, 1), stat(12, 11, 12, 25, 0), stat(13, 1, 10, 5, 0), stat(20, 1, 20, 999, 9)], 4096);

  it('adds the leader, its descendants and the rest of its process group; nothing else', () => {
    const usage = snapshot.usage(10);
    assert.equal(usage.memoryBytes, BigInt((100 + 50 + 25 + 5) * 4096));
    // (utime + stime + cutime + cstime) ticks of 10 ms each
    assert.equal(usage.cpuNs, BigInt((5 + 3) + (1 + 3) + (0 + 3) + (0 + 3)) * 10_000_000n);
    assert.equal(snapshot.usage(99), undefined);
  });

  it('a sandbox counts zero, a container without a process is left out', () => {
    const base = {namespace: 'k8s.io', id: 'default/web', podId: 'default/web', name: 'default/web', image: '', networkNamespace: '', internalId: 'x', uid: ''};
    assert.deepEqual(containerStat({...base, pid: 0, status: 'SANDBOX_READY'}, snapshot), {namespace: 'k8s.io', id: 'default/web', podId: 'default/web', name: 'default/web', memoryUsage: 0n, cpuUsage: 0n});
    assert.equal(containerStat({...base, id: 'default/web:c:1', pid: 0, status: 'CONTAINER_EXITED'}, snapshot), undefined);
    assert.equal(containerStat({...base, id: 'default/web:c:1', pid: 20, status: 'CONTAINER_RUNNING'}, snapshot).memoryUsage, 999n * 4096n);
    assert.equal(containerStat({...base, namespace: 'system', id: 'ext-x', pid: 77, status: 'RUNNING'}, snapshot), undefined, 'gone since the inventory');
  });
});

/** A real SNTP responder on 127.56.1.1: answers as `reply` shapes it (or not at all). */
async function sntpResponder(reply) {
  const socket = createSocket('udp4');
  socket.on('message', (request, peer) => {
    const answer = reply(request);
    if (answer !== undefined) socket.send(answer, peer.port, peer.address);
  });
  await new Promise((resolve) => socket.bind(0, '127.56.1.1', resolve));
  return {server: `127.56.1.1:${socket.address().port}`, close: () => new Promise((resolve) => socket.close(resolve))};
}

const SERVER_TIME = Date.UTC(2031, 4, 6, 7, 8, 9, 250);

function goodAnswer(request, changes = {}) {
  const answer = Buffer.alloc(48);
  answer[0] = ((changes.leap ?? 0) << 6) | (4 << 3) | (changes.mode ?? 4);
  answer[1] = changes.stratum ?? 2;
  const t = unixNsToNtp(BigInt(SERVER_TIME) * 1_000_000n);
  answer.writeBigUInt64BE(t - (60n << 32n), 16); // reference: a minute before
  (changes.origin ?? request.subarray(40, 48)).copy(answer, 24);
  answer.writeBigUInt64BE(t, 32);
  answer.writeBigUInt64BE(t, 40);
  return answer;
}

describe('SNTP client', () => {
  const responders = [];
  after(async () => {
    for (const responder of responders) await responder.close();
  });
  const responder = async (reply) => {
    const made = await sntpResponder(reply);
    responders.push(made);
    return made;
  };

  it('asks with a version 4 client packet and a random origin, and takes the server\'s transmit time', async () => {
    const seen = [];
    const {server} = await responder((request) => {
      seen.push(request);
      return goodAnswer(request);
    });
    const answer = await querySntp(server);
    validateAnswer(answer);
    assert.equal(answer.serverTimeNs, BigInt(SERVER_TIME) * 1_000_000n);
    assert.equal(seen[0].length, 48);
    assert.equal(seen[0][0], 0x23, 'LI 0, VN 4, mode 3');
    await querySntp(server);
    assert.notDeepEqual(seen[0].subarray(40), seen[1].subarray(40), 'each query has its own transmit timestamp');
  });

  it('refuses answers beevik/ntp refuses, with its texts', async () => {
    const cases = [
      [{mode: 3}, 'invalid mode in response'],
      [{origin: Buffer.alloc(8, 7)}, "server response didn't match request"],
    ];
    for (const [changes, text] of cases) {
      const {server} = await responder((request) => goodAnswer(request, changes));
      await assert.rejects(querySntp(server), {message: text});
    }
    for (const [changes, text] of [[{stratum: 0}, 'kiss of death received'], [{stratum: 16}, 'invalid stratum in response'], [{leap: 3}, 'invalid leap second in response']]) {
      const {server} = await responder((request) => goodAnswer(request, changes));
      const answer = await querySntp(server);
      assert.throws(() => validateAnswer(answer), {message: text});
    }
  });

  it('a silent server times out and a closed port is refused, both naming the address', async () => {
    const {server} = await responder(() => undefined);
    const started = Date.now();
    await assert.rejects(querySntp(server, {timeoutMs: 300}), (error) => new RegExp(`^read udp 127\\.[0-9.]+:[0-9]+->${server.replaceAll('.', '\\.')}: i/o timeout$`).test(error.message));
    assert.ok(Date.now() - started < 2000);
    await assert.rejects(querySntp('127.56.1.2:9', {timeoutMs: 2000}), /connection refused|i\/o timeout/);
  });

  it('stops at once when the call is cancelled', async () => {
    const {server} = await responder(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled')), 50);
    await assert.rejects(querySntp(server, {signal: controller.signal}), {message: 'cancelled'});
  });

  it('a name that does not resolve is an error naming it', async () => {
    await assert.rejects(querySntp('no-such-host.invalid', {timeoutMs: 3000}), /^Error: lookup no-such-host\.invalid: /);
  });

  it('reads server addresses as beevik/ntp does', () => {
    assert.deepEqual(splitServer('pool.ntp.org'), {host: 'pool.ntp.org', port: 123});
    assert.deepEqual(splitServer('10.0.0.1:1123'), {host: '10.0.0.1', port: 1123});
    assert.deepEqual(splitServer('fd00::1'), {host: 'fd00::1', port: 123});
    assert.deepEqual(splitServer('[fd00::1]:99'), {host: 'fd00::1', port: 99});
    assert.throws(() => splitServer(''), {message: 'address string is empty'});
    assert.throws(() => splitServer('[fd00::1'), {message: "missing ']' in address"});
    assert.throws(() => splitServer('host:99999'), /invalid port/);
    assert.equal(ntpToUnixNs(unixNsToNtp(1_700_000_000_123_000_000n)), 1_700_000_000_123_000_000n);
  });

  it('Time asks the first configured server, then a TimeSyncConfig\'s, else Talos\'s default', () => {
    assert.equal(configuredTimeServer({documents: [], v1alpha1: {machine: {time: {servers: ['a:1', 'b']}}}}), 'a:1');
    assert.equal(configuredTimeServer({documents: [{kind: 'TimeSyncConfig', ntp: {servers: ['c']}}], v1alpha1: {machine: {}}}), 'c');
    assert.equal(configuredTimeServer({documents: [], v1alpha1: {machine: {}}}), DEFAULT_TIME_SERVER);
    assert.equal(DEFAULT_TIME_SERVER, 'time.cloudflare.com');
  });
});

describe('META', () => {
  let root;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-meta-'));
  });
  after(() => fs.rmSync(root, {recursive: true, force: true}));

  it('one ADV copy: magics, big-endian tags, sha256 over the copy with the checksum zeroed', () => {
    const copy = marshalAdv(new Map([[0x0c, Buffer.from('hello')], [3, Buffer.alloc(0)]]));
    assert.equal(copy.length, ADV_LENGTH);
    assert.equal(copy.readUInt32BE(0), 0x5a4b3c2d);
    assert.equal(copy.readUInt32BE(ADV_LENGTH - 4), 0xa5b4c3d2);
    assert.equal(copy.readUInt32BE(4), 3);
    assert.equal(copy.readUInt32BE(8), 0);
    assert.equal(copy.readUInt32BE(12), 0x0c);
    assert.equal(copy.readUInt32BE(16), 5);
    assert.equal(copy.subarray(20, 25).toString(), 'hello');
    assert.deepEqual([...unmarshalAdv(copy)].map(([k, v]) => [k, v.toString()]), [[3, ''], [12, 'hello']]);
    const damaged = Buffer.from(copy);
    damaged[30] ^= 1;
    assert.throws(() => unmarshalAdv(damaged), /^Error: adv: checksum mismatch/);
  });

  it('Talos\'s size rule: about 256 KiB of values in all', () => {
    const empty = new Map();
    assert.equal(fitsAdv(empty, 1, Buffer.alloc(256 * 1024 - 40 - 20)), true);
    assert.equal(fitsAdv(empty, 1, Buffer.alloc(256 * 1024 - 40 - 19)), false);
    const one = new Map([[1, Buffer.alloc(1000)]]);
    assert.equal(fitsAdv(one, 1, Buffer.alloc(256 * 1024 - 40 - 28)), true, 'replacing a value frees its room');
  });

  it('writes atomically, publishes MetaKeys live, and reads both back after a restart', async () => {
    const store = createNodeStore();
    const events = [];
    store.watchKind('runtime', 'MetaKeys.runtime.talos.dev', {}, (event) => events.push([event.type, event.resource.metadata.id]));
    const meta = new MetaStore(root, store);
    await meta.ready();
    assert.equal(await meta.write(0x0c, Buffer.from('hello')), 'written');
    assert.equal(await meta.write(0xff, Buffer.from('bye')), 'written');
    assert.equal(await meta.write(0x0c, Buffer.from('hello again')), 'written');
    assert.equal(await meta.write(1, Buffer.alloc(300 * 1024)), 'overflow');
    assert.equal(await meta.delete(0xff), true);
    assert.equal(await meta.delete(0xff), false);
    assert.deepEqual(events, [['created', '0x0c'], ['created', '0xff'], ['updated', '0x0c'], ['destroyed', '0xff']]);
    const resource = store.get({namespace: 'runtime', type: 'MetaKeys.runtime.talos.dev', id: '0x0c'});
    assert.equal(store.yamlSpec(resource), 'value: hello again\n');
    assert.deepEqual(MetaKeySpec.decode(store.protoSpec(resource)), {value: 'hello again'});
    const file = fs.readFileSync(path.join(root, 'system/state/meta'));
    assert.equal(file.length, 2 * ADV_LENGTH);
    assert.deepEqual(file.subarray(0, ADV_LENGTH), file.subarray(ADV_LENGTH), 'two identical copies');
    assert.deepEqual(fs.readdirSync(path.join(root, 'system/state')), ['meta'], 'no temp file left');

    const restarted = createNodeStore();
    await new MetaStore(root, restarted).ready();
    assert.deepEqual(restarted.list('runtime', 'MetaKeys.runtime.talos.dev').map((r) => [r.metadata.id, r.spec.value]), [['0x0c', 'hello again']]);
  });

  it('a damaged first copy falls back to the second; both damaged is an error saying what to do', async () => {
    const file = path.join(root, 'system/state/meta');
    const bytes = fs.readFileSync(file);
    bytes[100] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const store = createNodeStore();
    await new MetaStore(root, store).ready();
    assert.equal(store.list('runtime', 'MetaKeys.runtime.talos.dev').length, 1);
    bytes[ADV_LENGTH + 100] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const broken = new MetaStore(root, createNodeStore());
    await assert.rejects(broken.ready(), /META in .*system\/state\/meta is damaged .*move the file away/);
    await assert.rejects(broken.write(1, Buffer.from('x')), /is damaged/);
  });

  it('writes at the same time all land: each replaces the whole file, one after another', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-meta-race-'));
    try {
      const meta = new MetaStore(dir, createNodeStore());
      const results = await Promise.all(Array.from({length: 40}, (_, key) => meta.write(key + 1, Buffer.from(`v${key + 1}`))));
      assert.ok(results.every((r) => r === 'written'));
      const again = createNodeStore();
      await new MetaStore(dir, again).ready();
      assert.equal(again.list('runtime', 'MetaKeys.runtime.talos.dev').length, 40);
      assert.equal(again.get({namespace: 'runtime', type: 'MetaKeys.runtime.talos.dev', id: '0x28'}).spec.value, 'v40');
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });

  it('ids as Talos formats them', () => {
    assert.equal(metaKeyId(0), '0x00');
    assert.equal(metaKeyId(10), '0x0a');
    assert.equal(metaKeyId(255), '0xff');
  });

  it('keys as strconv.ParseUint(s, 0, 8) reads them', () => {
    for (const [text, key] of [['12', 12], ['0x0c', 12], ['0X0C', 12], ['014', 12], ['0o14', 12], ['0b1100', 12], ['0', 0], ['255', 255], ['0x_0c', 12]]) assert.equal(parseMetaKey(text), key, text);
    assert.throws(() => parseMetaKey('256'), {message: 'strconv.ParseUint: parsing "256": value out of range'});
    for (const text of ['', '-1', 'x', '08', '1_2', ' 1', '0x']) assert.throws(() => parseMetaKey(text), {message: `strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`}, text);
  });
});

describe('printers', () => {
  const record = {node: '10.5.0.2', l4proto: 'udp', localip: '0.0.0.0', localport: 53, remoteip: '0.0.0.0', remoteport: 0, state: 'CLOSE', txqueue: 0, rxqueue: 7, timer: 'KEEPALIVE', timerwhen: 1234, retrnsmt: 2, uid: 0, timeout: 5, inode: 99, process: {pid: 0, name: ''}, netns: ''};

  it('netstat: talosctl\'s columns, blank CLOSE state, * for port 0, - for no process, the timer text', () => {
    const columns = {extend: true, programs: true, pods: true, timers: true};
    assert.deepEqual(netstatRow(record, columns), ['10.5.0.2', 'udp', '7', '0', '0.0.0.0:53', '0.0.0.0:*', '', '0', '99', '-', '-', 'keepalive (12.34/2/5)']);
    assert.equal(
      renderNetstat([{...record, state: 'LISTEN', process: {pid: 4, name: 'node'}}], {extend: false, programs: true, pods: false, timers: false}),
      'NODE       Proto   Recv-Q   Send-Q   Local Address   Foreign Address   State    PID/Program name\n' +
        '10.5.0.2   udp     7        0        0.0.0.0:53      0.0.0.0:*         LISTEN   4/node\n',
    );
    assert.equal(renderNetstat([], columns), '', 'no header without sockets');
    assert.equal(netstatRow({...record, process: {pid: 9, name: 'x\u001b[2J\ny'}}, {extend: false, programs: true, pods: false, timers: false})[7], '9/x\\x1b[2J\\ny');
  });

  it('stats: sorted by id per node, the tree mark, %.2f megabytes', () => {
    assert.equal(megabytes(1_234_567n), '1.23');
    assert.equal(megabytes(0n), '0.00');
    const rows = [
      {node: 'n', namespace: 'k8s.io', id: 'default/web:c:1', podId: 'default/web', name: 'c', memoryUsage: 2_500_000n, cpuUsage: 42n},
      {node: 'n', namespace: 'k8s.io', id: 'default/web', podId: 'default/web', name: 'default/web', memoryUsage: 0n, cpuUsage: 0n},
    ];
    assert.equal(
      renderStats([rows]),
      'NODE   NAMESPACE   ID                   MEMORY(MB)   CPU\n' +
        'n      k8s.io      default/web          0.00         0\n' +
        'n      k8s.io      \u2514\u2500 default/web:c:1   2.50         42\n',
    );
  });

  it('time: Go\'s Time.String of a UTC time, to the nanosecond', () => {
    const at = (ms, extraNs = 0n) => timestampFromNs(BigInt(ms) * 1_000_000n + extraNs);
    assert.equal(goTimeString(at(Date.UTC(2026, 11, 2, 13, 40, 1, 250))), '2026-12-02 13:40:01.25 +0000 UTC');
    assert.equal(goTimeString(at(Date.UTC(2026, 0, 2, 3, 4, 5))), '2026-01-02 03:04:05 +0000 UTC');
    assert.equal(goTimeString(at(Date.UTC(2026, 0, 2, 3, 4, 5, 123), 456_789n)), '2026-01-02 03:04:05.123456789 +0000 UTC');
    assert.equal(rfc3339Nano(at(Date.UTC(2026, 0, 2, 3, 4, 5, 120))), '2026-01-02T03:04:05.12Z');
    assert.equal(
      renderTime([{node: 'n', server: 's:1', localtime: at(Date.UTC(2026, 0, 2, 3, 4, 5, 1)), remotetime: at(Date.UTC(2026, 0, 2, 3, 4, 5, 10))}]),
      'NODE   NTP-SERVER   NODE-TIME                           NTP-SERVER-TIME\nn      s:1          2026-01-02 03:04:05.001 +0000 UTC   2026-01-02 03:04:05.01 +0000 UTC\n',
    );
  });

  it('TimeResponse keeps nanoseconds on the wire and reads as the generated codec reads it', () => {
    const message = {metadata: {hostname: 'h', error: '', status: undefined}, server: 'pool.ntp.org', localtime: {seconds: 1_800_000_000n, nanos: 1_000_000}, remotetime: {seconds: 1_800_000_000n, nanos: 123_456_789}};
    const bytes = encodeTimeResponse({messages: [message, {server: 'x'}]});
    const generated = TimeResponse.decode(bytes);
    assert.equal(generated.messages[0].server, 'pool.ntp.org');
    assert.equal(generated.messages[0].metadata.hostname, 'h');
    assert.equal(generated.messages[0].remotetime.getTime(), 1_800_000_000_123);
    assert.equal(generated.messages[1].server, 'x');
    const decoded = decodeTimeResponse(bytes);
    assert.deepEqual(decoded.messages[0].remotetime, {seconds: 1_800_000_000n, nanos: 123_456_789});
    assert.deepEqual(decoded.messages[1], {server: 'x'});
    // and what the generated encoder writes decodes here
    const fromGenerated = decodeTimeResponse(TimeResponse.encode({messages: [{server: 'y', localtime: new Date(5_000)}]}).finish());
    assert.deepEqual(fromGenerated.messages[0], {server: 'y', localtime: {seconds: 5n, nanos: 0}});
});
});
