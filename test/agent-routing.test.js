// How osd routes calls as apid does (talos-api.md §4): deadlines of forwarded calls, bounded error
// texts, methods osd does not know, and the one-to-many `nodes` mode of talosctl v1.13. Agents run
// in-process on 127.32.0.x, next to a silent node (accepts TCP, never answers) and a fake "newer
// node" (a gRPC server with methods osd lacks).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {createServer} from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as yaml from 'js-yaml';
import {readBuildInfo} from '../dist/machinery/build-info.js';
import {createNodeStore} from '../dist/agent/controllers/resource-types.js';
import {AgentServer} from '../dist/agent/server/server.js';
import {Data, DataResponse} from '../dist/machinery/api/common/common.js';
import {issueClientCert, issueServerCert} from '../dist/machinery/pki.js';
import {
  collect,
  DAY,
  eventually,
  MachineClient,
  metadataOf,
  normalizeKey,
  rejectsWith,
  startAgents,
  StateClient,
  unary,
} from './helpers/agents.js';

process.noDeprecation = true; // DEP0123: grpc-js passes IP targets as the TLS server name.

const CP = '127.32.0.1';
const WORKER = '127.32.0.2';
const LIMITED = '127.32.0.3'; // an agent with short forwarding limits (connect 1.5 s, unary 2.5 s)
const DEAD = '127.32.0.8'; // nothing listens
const SILENT = '127.32.0.9'; // accepts TCP, never answers
const NEWER = '127.32.0.10'; // a gRPC server with methods osd does not implement
const CLUSTER = 'routing-test';
const MEMBERS = 'Members.cluster.talos.dev';

const identity = (value) => value;

/** A call by path, for methods the generated API does not have. */
function rawUnary(client, path, request, metadata, options = {deadline: Date.now() + 20_000}) {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(path, identity, identity, request, metadataOf(metadata), options, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

async function timed(promise) {
  const start = Date.now();
  try {
    await promise;
  } catch {
    // the caller asserts on the promise itself
  }
  return Date.now() - start;
}

describe('osd routing', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-routing-'));
  const discoveryDir = path.join(root, 'discovery');
  let cluster;
  let ca;
  let port;
  const certs = {};
  let silent;
  const silentSockets = new Set();
  let newer;
  const newerSeen = [];
  let limited;

  const connect = (Client, who = 'admin', address = CP) => cluster.connect(Client, certs[who], address);
  const machine = (who, address) => connect(MachineClient, who, address);
  const state = (who, address) => connect(StateClient, who, address);
  const raw = (who, address) => connect(grpc.Client, who, address);

  before(async () => {
    cluster = await startAgents(
      root,
      [
        ['cp-1', CP, 'controlplane'],
        ['worker-1', WORKER, 'worker'],
      ],
      {cluster: CLUSTER, alsoFreeOn: [LIMITED, SILENT, NEWER]},
    );
    ({ca, port} = cluster);
    certs.admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
    certs.reader = await issueClientCert(ca, {roles: ['os:reader'], ttlMs: DAY});

    silent = createServer((socket) => {
      socket.resume(); // reads (and drops) what arrives, so the end of the connection is seen
      silentSockets.add(socket);
      socket.on('close', () => silentSockets.delete(socket));
    });
    await new Promise((resolve) => silent.listen(port, SILENT, resolve));

    newer = new grpc.Server();
    const remember = (call) => newerSeen.push({path: call.getPath(), metadata: call.metadata.getMap()});
    newer.register('/storage.StorageService/Disks', (call, callback) => {
      remember(call);
      callback(null, Buffer.from(DataResponse.encode({messages: [{bytes: Buffer.from('disks from a newer node')}]}).finish()));
    }, identity, identity, 'unary');
    newer.register('/machine.MachineService/Kubeconfig', (call) => {
      remember(call);
      for (const line of ['first\n', 'second\n']) call.write(Buffer.from(Data.encode({bytes: Buffer.from(line)}).finish()));
      call.end();
    }, identity, identity, 'serverStream');
    newer.register('/machine.MachineService/Hostname', (call) => remember(call), identity, identity, 'unary'); // never answers
    newer.register('/machine.MachineService/Containers', (call, callback) => {
      remember(call);
      callback({code: grpc.status.FAILED_PRECONDITION, details: `containerd says ${'x'.repeat(20_000)}`});
    }, identity, identity, 'unary');
    const newerCert = await issueServerCert(ca, {ips: [NEWER], dnsNames: [], commonName: 'newer', ttlMs: DAY});
    const newerCredentials = grpc.ServerCredentials.createSsl(Buffer.from(ca.crt), [{cert_chain: Buffer.from(newerCert.crt), private_key: Buffer.from(normalizeKey(newerCert.key))}], true);
    await new Promise((resolve, reject) => newer.bindAsync(`${NEWER}:${port}`, newerCredentials, (error) => (error ? reject(error) : resolve())));

    // An agent with short limits, to show the unary default deadline without waiting minutes.
    const limitedCert = await issueServerCert(ca, {ips: [LIMITED], dnsNames: [], commonName: 'limited', ttlMs: DAY});
    const forwarding = await issueClientCert(ca, {roles: ['os:impersonator'], ttlMs: DAY});
    limited = await AgentServer.start({
      address: LIMITED,
      port,
      serverCert: limitedCert.crt,
      serverKey: normalizeKey(limitedCert.key),
      clientCAs: ca.crt,
      forwarding: {ca: ca.crt, cert: forwarding.crt, key: normalizeKey(forwarding.key)},
      forwardingLimits: {connectMs: 1500, unaryMs: 2500},
      store: createNodeStore(),
      build: await readBuildInfo(),
      machineConfig: () => ({}),
      log: cluster.log,
    });
  });

  after(async () => {
    await limited?.stop(0);
    await cluster?.stop();
    newer?.forceShutdown();
    for (const socket of silentSockets) socket.destroy();
    await new Promise((resolve) => (silent ? silent.close(resolve) : resolve()));
    fs.rmSync(root, {recursive: true, force: true});
  });

  describe('deadlines of forwarded calls', () => {
    it('fails a call to a silent node before the caller deadline, naming the node', async () => {
      const call = unary(machine(), 'hostname', {}, {node: SILENT}, {deadline: Date.now() + 3000});
      const elapsed = await timed(call);
      await rejectsWith(call, grpc.status.DEADLINE_EXCEEDED, `node ${SILENT} (${SILENT}:${port}) is unreachable: no connection before the deadline`);
      assert.ok(elapsed >= 2400 && elapsed < 3000, `took ${elapsed} ms`);
    });

    it('bounds connecting when the caller sets no deadline, for unary calls and streams alike, and lets go of the socket', async () => {
      const unaryCall = rawUnary(raw('admin', LIMITED), '/machine.MachineService/Hostname', Buffer.alloc(0), {node: SILENT}, {});
      const stream = collect(state('admin', LIMITED).list({namespace: 'cluster', type: MEMBERS}, metadataOf({node: SILENT})));
      const [unaryElapsed, streamElapsed] = await Promise.all([timed(unaryCall), timed(stream)]);
      const unreachable = `node ${SILENT} (${SILENT}:${port}) is unreachable: no connection within 1.5s`;
      await rejectsWith(unaryCall, grpc.status.UNAVAILABLE, unreachable);
      await rejectsWith(stream, grpc.status.UNAVAILABLE, unreachable);
      for (const elapsed of [unaryElapsed, streamElapsed]) assert.ok(elapsed >= 1400 && elapsed < 2500, `took ${elapsed} ms`);
      // The TLS handshakes that never ended were abandoned (grpc-js alone would keep their sockets).
      await eventually(() => assert.equal(silentSockets.size, 0), 8000);
    });

    it('gives a forwarded unary call without a caller deadline one of its own', async () => {
      const call = rawUnary(raw('admin', LIMITED), '/machine.MachineService/Hostname', Buffer.alloc(0), {node: NEWER}, {});
      const elapsed = await timed(call);
      await rejectsWith(call, grpc.status.DEADLINE_EXCEEDED, `node ${NEWER} (${NEWER}:${port}) did not complete the call before the deadline`);
      assert.ok(elapsed >= 2400 && elapsed < 3500, `took ${elapsed} ms`);
    });

    it('does not cut a healthy forwarded stream that outlives the unary deadline', async () => {
      const request = {namespace: 'cluster', type: MEMBERS, options: {bootstrapContents: true, labelQuery: [], tailEvents: 0, aggregated: false, bootstrapBookmark: false}, apiVersion: 1};
      const watch = state('admin', LIMITED).watch(request, metadataOf({node: WORKER}));
      const ids = [];
      let failure;
      watch.on('data', (response) => ids.push(...response.event.map((e) => e.resource.metadata.id)));
      watch.on('error', (error) => (failure ??= error));
      await eventually(() => assert.ok(ids.includes('worker-1')));
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(failure, undefined);
      const affiliate = {nodeId: 'RoutingLateJoiner0000000', nodename: 'late-1', hostname: 'late-1', addresses: ['127.32.0.77'], machineType: 'worker', operatingSystem: 'osd'};
      fs.writeFileSync(path.join(discoveryDir, `${affiliate.nodeId}.yaml`), yaml.dump(affiliate));
      await eventually(() => assert.ok(ids.includes('late-1'), ids.join(',')));
      assert.equal(failure, undefined);
      fs.rmSync(path.join(discoveryDir, `${affiliate.nodeId}.yaml`));
      watch.cancel();
    });
  });

  describe('error texts echoing huge requests', () => {
    const hugeId = 'x'.repeat(200 * 1024);

    for (const [where, metadata] of [
      ['locally', {}],
      ['when forwarded', {node: WORKER}],
    ]) {
      it(`answers Get of a 200 KiB id with a bounded NotFound ${where}, and the connection still serves calls`, async () => {
        const client = state();
        await rejectsWith(unary(client, 'get', {namespace: 'cluster', type: MEMBERS, id: hugeId}, metadata), grpc.status.NOT_FOUND, /^resource .*x… \(\d+ bytes, truncated\)$/);
        const {resource} = await unary(client, 'get', {namespace: 'cluster', type: MEMBERS, id: 'cp-1'}, metadata);
        assert.equal(resource.metadata.id, 'cp-1');
      });
    }

    it('bounds a long error relayed from another node', async () => {
      await assert.rejects(rawUnary(raw(), '/machine.MachineService/Containers', Buffer.alloc(0), {node: NEWER}), (error) => {
        assert.equal(error.code, grpc.status.FAILED_PRECONDITION);
        assert.ok(Buffer.byteLength(error.details) <= 4096, `${Buffer.byteLength(error.details)} bytes`);
        assert.match(error.details, /^containerd says x+… \(20016 bytes, truncated\)$/);
        return true;
      });
    });
  });

  describe('methods osd does not implement', () => {
    it('forwards them, so a node that has them answers', async () => {
      const response = await rawUnary(raw(), '/storage.StorageService/Disks', Buffer.alloc(0), {node: NEWER});
      assert.equal(Buffer.from(DataResponse.decode(response).messages[0].bytes).toString(), 'disks from a newer node');
      const seen = newerSeen.findLast((call) => call.path === '/storage.StorageService/Disks');
      assert.equal(seen.metadata['talos-role'], 'os:admin');
      assert.equal(seen.metadata.node, undefined);
      assert.ok(seen.metadata.proxyfrom);
    });

    it('answers Unimplemented from the node that lacks them, after authorization', async () => {
      await rejectsWith(rawUnary(raw(), '/storage.StorageService/Disks', Buffer.alloc(0)), grpc.status.UNIMPLEMENTED, 'Disks is not implemented by osd yet');
      await rejectsWith(rawUnary(raw(), '/machine.MachineService/Upgrade', Buffer.alloc(0), {node: WORKER}), grpc.status.UNIMPLEMENTED, 'Upgrade is not implemented by osd yet');
      // Not in the role table: os:admin only, as in Talos.
      await rejectsWith(rawUnary(raw('reader'), '/storage.StorageService/Disks', Buffer.alloc(0), {node: NEWER}), grpc.status.PERMISSION_DENIED, 'not authorized');
    });
  });

  describe('one-to-many (nodes metadata)', () => {
    it('merges unary answers of every node, each with metadata.hostname as the node was named', async () => {
      const response = await unary(machine(), 'hostname', {}, {nodes: [CP, 'worker-1']});
      assert.deepEqual(response.messages.map((m) => [m.metadata?.hostname, m.hostname]), [[CP, 'cp-1'], ['worker-1', 'worker-1']]);
      const version = await unary(machine(), 'version', {}, {nodes: `${WORKER},${CP}`});
      assert.deepEqual(version.messages.map((m) => m.metadata?.hostname), [WORKER, CP]);
      assert.ok(version.messages.every((m) => m.version.tag.startsWith('v')));
    });

    it('answers a single node as talosctl v1.13 asks for it: one message with the hostname', async () => {
      const response = await unary(machine(), 'hostname', {}, {nodes: WORKER});
      assert.deepEqual(response.messages, [{metadata: {hostname: WORKER, error: '', status: undefined}, hostname: 'worker-1'}]);
    });

    it('reports a failed node as a message with metadata.error and status; the call succeeds', async () => {
      const response = await unary(machine(), 'hostname', {}, {nodes: [CP, DEAD]});
      assert.equal(response.messages.length, 2);
      assert.equal(response.messages[0].hostname, 'cp-1');
      const failed = response.messages[1];
      assert.equal(failed.hostname, '');
      assert.equal(failed.metadata.hostname, DEAD);
      assert.match(failed.metadata.error, new RegExp(`^rpc error: code = Unavailable desc = node ${DEAD.replaceAll('.', '\\.')} .* is unreachable`));
      assert.equal(failed.metadata.status.code, grpc.status.UNAVAILABLE);
      assert.equal(`rpc error: code = Unavailable desc = ${failed.metadata.status.message}`, failed.metadata.error);

      const generated = await unary(machine(), 'generateClientConfiguration', {roles: ['os:reader'], crtTtl: {seconds: 60n, nanos: 0}}, {nodes: [CP, WORKER]});
      assert.ok(generated.messages[0].talosconfig.length > 0);
      assert.equal(generated.messages[1].metadata.error, 'rpc error: code = Unimplemented desc = generate client configuration is only available on control plane nodes');
    });

    it('reports a silent node before the caller deadline while the others answer', async () => {
      const start = Date.now();
      const response = await unary(machine(), 'hostname', {}, {nodes: [SILENT, CP]}, {deadline: Date.now() + 3000});
      assert.ok(Date.now() - start < 3000);
      assert.deepEqual(response.messages.map((m) => m.metadata.hostname), [SILENT, CP]);
      assert.match(response.messages[0].metadata.error, /^rpc error: code = DeadlineExceeded desc = node 127\.32\.0\.9 .*no connection before the deadline$/);
      assert.equal(response.messages[1].hostname, 'cp-1');
    });

    it('interleaves streamed messages with metadata.hostname, and a failed node as one message', async () => {
      const messages = await collect(machine().kubeconfig({}, metadataOf({nodes: [NEWER, CP]})));
      const lines = messages.filter((m) => m.metadata.error === '').map((m) => [m.metadata.hostname, Buffer.from(m.bytes).toString()]);
      assert.deepEqual(lines, [[NEWER, 'first\n'], [NEWER, 'second\n']]);
      const errors = messages.filter((m) => m.metadata.error !== '');
      assert.deepEqual(errors.map((m) => [m.metadata.hostname, m.metadata.error]), [[CP, 'rpc error: code = Unimplemented desc = Kubeconfig is not implemented by osd yet']]);
    });

    it('fans out methods osd does not know too, merging their envelopes', async () => {
      const response = DataResponse.decode(await rawUnary(raw(), '/storage.StorageService/Disks', Buffer.alloc(0), {nodes: [NEWER, WORKER]}));
      assert.deepEqual(
        response.messages.map((m) => [m.metadata.hostname, Buffer.from(m.bytes).toString(), m.metadata.error]),
        [
          [NEWER, 'disks from a newer node', ''],
          [WORKER, '', 'rpc error: code = Unimplemented desc = Disks is not implemented by osd yet'],
        ],
      );
    });

    it('refuses COSI and other services, as apid does', async () => {
      await rejectsWith(
        unary(state(), 'get', {namespace: 'cluster', type: MEMBERS, id: 'cp-1'}, {nodes: [CP, WORKER]}),
        grpc.status.INVALID_ARGUMENT,
        'one-2-many proxying is not supported for method /cosi.resource.State/Get',
      );
      await rejectsWith(unary(machine(), 'hostname', {}, {node: [CP, WORKER], nodes: CP}), grpc.status.INVALID_ARGUMENT, 'node metadata must be single-valued');
    });
  });
});
