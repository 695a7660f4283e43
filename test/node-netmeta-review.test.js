// Found in review: server strings the kernel refuses to connect to (they used to throw out of
// osd), an empty host or port, an empty TimeCheck, a META key of thousands of characters,
// talosctl's `time -c`, Go's rounding of %.2f in stats; and one osd process on 127.58.3.2
// that must keep serving after each of them.
import assert from 'node:assert/strict';
import {createSocket} from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {querySntp, serverAddress, splitServer, unixNsToNtp} from '../dist/agent/inside/sntp.js';
import {TimeRequest, TimeServiceService} from '../dist/machinery/api/time/time.js';
import {timeMethods} from '../dist/agent/server/time-methods.js';
import {statusOf} from '../dist/agent/server/rpc-error.js';
import {parseMetaKey} from '../dist/cli/actions/meta/key.js';
import {goFixed} from '../dist/cli/output/go-float.js';
import {megabytes} from '../dist/cli/output/stats-view.js';
import {createResourceWriter} from '../dist/cli/output/resource-writer.js';
import {rejectsWith, unary} from './helpers/agents.js';
import {makeHome, osctl} from './helpers/cli.js';
import {startCluster} from './helpers/osd-processes.js';

process.noDeprecation = true; // DEP0123: grpc-js passes IP targets as the TLS server name.

const ADDRESS = '127.58.3.2';
const RESPONDER = '127.58.3.50';
const SERVER_TIME = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
const TimeClient = grpc.makeGenericClientConstructor(TimeServiceService, 'TimeService');

/** A UDP SNTP responder that answers every query with SERVER_TIME. */
async function sntpResponder(address) {
  const socket = createSocket('udp4');
  socket.on('message', (request, peer) => {
    const answer = Buffer.alloc(48);
    answer[0] = (4 << 3) | 4;
    answer[1] = 2;
    const t = unixNsToNtp(BigInt(SERVER_TIME) * 1_000_000n);
    answer.writeBigUInt64BE(t - (60n << 32n), 16);
    request.copy(answer, 24, 40, 48);
    answer.writeBigUInt64BE(t, 32);
    answer.writeBigUInt64BE(t, 40);
    socket.send(answer, peer.port, peer.address);
  });
  await new Promise((resolve) => socket.bind(0, address, resolve));
  return {server: `${address}:${socket.address().port}`, close: () => new Promise((resolve) => socket.close(resolve))};
}

describe('SNTP client: addresses the kernel or Go refuse', () => {
  it('a connect the kernel refuses (an unknown zone) is an error naming the address, not an exception out of the process', async () => {
    const started = Date.now();
    await assert.rejects(querySntp('[fe80::1%no-such-zone]:123', {timeoutMs: 3000}), {message: /^dial udp \[fe80::1%no-such-zone\]:123: connect: /});
    assert.ok(Date.now() - started < 2000, 'at once, not after the read timeout');
  });

  it('port 0 is not a port a server answers on', () => {
    assert.throws(() => splitServer('127.58.3.9:0'), {message: 'address 127.58.3.9:0: invalid port'});
    assert.throws(() => splitServer('[fd00::1]:0'), /invalid port/);
    assert.deepEqual(splitServer('127.58.3.9:00123'), {host: '127.58.3.9', port: 123});
  });

  it('an empty host is the local system, as Go dials it (getaddrinfo has no address for it)', async () => {
    assert.deepEqual(splitServer(':123'), {host: '', port: 123});
    assert.deepEqual(splitServer('[]:123'), {host: '', port: 123});
    assert.deepEqual(await serverAddress('', 1000), {address: '0.0.0.0', family: 4});
    assert.deepEqual(await serverAddress('127.58.3.9', 1000), {address: '127.58.3.9', family: 4});
  });
});

describe('TimeCheck whose caller goes away', () => {
  it('ends Cancelled (not an Internal failure osd logs as an error) when the call is cancelled mid-query', async () => {
    const silent = createSocket('udp4');
    await new Promise((resolve) => silent.bind(0, '127.58.3.51', resolve));
    try {
      const [, [, timeCheck]] = timeMethods({machineConfig: () => ({documents: [], v1alpha1: {machine: {}}})});
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('cancelled')), 100);
      const server = `127.58.3.51:${silent.address().port}`;
      await assert.rejects(timeCheck.handle(Buffer.from(TimeRequest.encode({server}).finish()), {signal: controller.signal}), (error) => {
        assert.deepEqual(statusOf(error), {code: grpc.status.CANCELLED, details: `the call ended before NTP server "${server}" answered`});
        return true;
      });
    } finally {
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('META key echo', () => {
  it('a key of thousands of characters is quoted cut, not repeated whole', () => {
    const key = '9'.repeat(5000);
    assert.throws(() => parseMetaKey(key), (error) => {
      assert.match(error.message, /^strconv\.ParseUint: parsing "9{64}…" \(5000 characters\): value out of range$/);
      return true;
    });
    assert.throws(() => parseMetaKey(`x${'y'.repeat(5000)}`), {message: /^strconv\.ParseUint: parsing "xy{63}…" \(5001 characters\): invalid syntax$/});
    assert.throws(() => parseMetaKey('\x1b[2J'), {message: 'strconv.ParseUint: parsing "\\x1b[2J": invalid syntax'});
  });
});

describe('get meta (table)', () => {
  it('a META value is whatever a writer put there: its newlines and escape sequences are printed escaped', () => {
    let text = '';
    const writer = createResourceWriter({kind: 'table'}, {write: (chunk) => void (text += chunk)}, {watch: false});
    writer.writeHeader({displayType: 'MetaKey', printColumns: [{name: 'Value', jsonPath: '{.value}'}]});
    const metadata = {namespace: 'runtime', type: 'MetaKeys.runtime.talos.dev', id: '0x07', version: '1', owner: '', phase: 'running', labels: {}, annotations: {}, finalizers: []};
    writer.writeResource({node: '127.58.3.2', metadata, spec: {value: 'line1\nline2\x1b[31m'}});
    writer.flush();
    assert.equal(text, 'NODE         NAMESPACE   TYPE      ID     VERSION   VALUE\n127.58.3.2   runtime     MetaKey   0x07   1         line1\\nline2\\x1b[31m\n');
  });
});

describe('%.2f as Go writes it', () => {
  it('an exact tie goes to the even digit (toFixed goes away from zero)', () => {
    // stats' MEMORY(MB): float64(bytes) * 1e-6 with %.2f
    assert.equal(megabytes(2_625_000n), '2.62');
    assert.equal(megabytes(125_000n), '0.12');
    assert.equal(megabytes(375_000n), '0.38');
    assert.equal(megabytes(2_899_968n), '2.90');
    assert.equal(megabytes(0n), '0.00');
    assert.equal(goFixed(2.5, 0), '2');
    assert.equal(goFixed(3.5, 0), '4');
    assert.equal(goFixed(-0.125, 2), '-0.12');
    assert.equal(goFixed(2.675, 2), '2.67', 'not a tie: the double is below 2.675');
    assert.equal(goFixed(1.005, 2), '1.00', 'not a tie: the double is below 1.005');
  });
});

describe('talosctl\'s -c', () => {
  it('time -c is --check; stats, containers, logs and restart -c is the hidden --use-cri: parsed, then on to the talosconfig', async () => {
    const user = makeHome('osctl-h7c-review-');
    try {
      for (const args of [['time', '-c', `${RESPONDER}:1123`], ['stats', '-kc'], ['containers', '-c'], ['logs', '-c', 'kubelet'], ['restart', '-c', 'kubelet']]) {
        const r = await osctl(args, {env: user.env});
        assert.doesNotMatch(r.stderr, /Nonexistent flag/, args.join(' '));
        assert.match(r.stderr, /talosconfig/, args.join(' '));
        assert.equal(r.code, 1, args.join(' '));
      }
    } finally {
      fs.rmSync(user.home, {recursive: true, force: true});
    }
  });
});

describe('TimeService on an osd process, after hostile servers', () => {
  let root;
  let cluster;
  let client;
  let responder;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-h7c-review-'));
    cluster = await startCluster(root, [['review-1', ADDRESS, 'controlplane']]);
    client = new TimeClient(`${ADDRESS}:${cluster.port}`, cluster.credentials());
    responder = await sntpResponder(RESPONDER);
  });

  after(async () => {
    client?.close();
    await cluster?.stop();
    await responder?.close();
    fs.rmSync(root, {recursive: true, force: true});
  });

  it('netstat with a pod: a node that could not be asked is reported, not just "pod not found"', async () => {
    const home = fs.mkdtempSync(path.join(root, 'home-'));
    const b64 = (text) => Buffer.from(text).toString('base64');
    const talosconfig = path.join(home, 'talosconfig');
    fs.writeFileSync(talosconfig, [
      'context: review',
      'contexts:',
      '  review:',
      `    endpoints: [${ADDRESS}:${cluster.port}]`,
      `    nodes: [${ADDRESS}]`,
      `    ca: ${b64(cluster.ca.crt)}`,
      `    crt: ${b64(cluster.admin.crt)}`,
      `    key: ${b64(cluster.admin.key)}`,
      '',
    ].join('\n'));
    const env = {...process.env, HOME: home, TALOSCONFIG: talosconfig};
    const alone = await osctl(['netstat', 'default/nothing'], {env});
    assert.equal(alone.stderr, 'error: pod default/nothing not found\n');
    assert.equal(alone.code, 1);
    // 127.58.3.9 runs no osd: the endpoint cannot reach it, so the pod may well be there.
    const r = await osctl(['-n', `${ADDRESS},127.58.3.9`, 'netstat', 'default/nothing'], {env});
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error getting containers from node 127\.58\.3\.9: .+\nerror: pod default\/nothing not found\n$/);
  });

  it('answers each with an error and keeps serving: a real server is checked afterwards', async () => {
    await rejectsWith(unary(client, 'timeCheck', {server: '[fe80::1%no-such-zone]:123'}), grpc.status.UNKNOWN, /^error querying NTP server "\[fe80::1%no-such-zone\]:123": dial udp \[fe80::1%no-such-zone\]:123: connect: /);
    await rejectsWith(unary(client, 'timeCheck', {server: `${RESPONDER}:0`}), grpc.status.UNKNOWN, `error querying NTP server "${RESPONDER}:0": address ${RESPONDER}:0: invalid port`);
    await rejectsWith(unary(client, 'timeCheck', {server: ''}), grpc.status.INVALID_ARGUMENT, 'ntp server is required');
    const osd = cluster.nodes[0].process;
    assert.equal(osd.exitCode ?? osd.signalCode, null, 'osd still runs');
    const answer = await unary(client, 'timeCheck', {server: responder.server});
    assert.equal(answer.messages[0].server, responder.server);
    assert.equal(answer.messages[0].remotetime.getTime(), SERVER_TIME);
  });
});
