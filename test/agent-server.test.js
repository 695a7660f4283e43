// osd over real gRPC with mutual TLS: two agents on 127.0.0.1 and 127.0.0.2 sharing a discovery
// directory, called through grpc-js clients built from the generated service definitions.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import * as yaml from 'js-yaml';
import {queryFilter} from '../dist/agent/server/state-service.js';
import {MachineConfigSpec} from '../dist/machinery/api/resource/config/config.js';
import {MemberSpec} from '../dist/machinery/api/resource/definitions/cluster/cluster.js';
import {ResourceDefinitionSpec} from '../dist/machinery/api/v1alpha1/meta.js';
import {LabelTerm_Operation as Op} from '../dist/machinery/api/v1alpha1/resource.js';
import {EventType} from '../dist/machinery/api/v1alpha1/state.js';
import {certificateInfo, generateCA, issueClientCert} from '../dist/machinery/pki.js';
import {
  collect,
  DAY,
  eventually,
  freePort,
  issueOddClientCert,
  MachineClient,
  makeStateDir,
  metadataOf,
  osdProcess,
  rejectsWith,
  startAgents,
  StateClient,
  take,
  unary,
} from './helpers/agents.js';

process.noDeprecation = true; // DEP0123: grpc-js passes IP targets as the TLS server name.

const repo = path.resolve(import.meta.dirname, '..');
const packageVersion = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).version;
const CLUSTER = 'osd-test';
const RD = 'ResourceDefinitions.meta.cosi.dev';
const MEMBERS = 'Members.cluster.talos.dev';
const MACHINE_CONFIGS = 'MachineConfigs.config.talos.dev';

/** Live store watchers (internal state): shows whether a watch was released. */
function watcherCount(store) {
  return [...store.kindWatchers.values(), ...store.resourceWatchers.values()].reduce((count, set) => count + set.size, 0);
}

describe('osd gRPC server', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-server-'));
  const discoveryDir = path.join(root, 'discovery');
  let cluster;
  let ca;
  let port;
  let nodes;
  const clients = {};

  const target = () => `127.0.0.1:${port}`;
  const machine = (who = 'admin', address) => cluster.connect(MachineClient, clients[who], address);
  const state = (who = 'admin', address) => cluster.connect(StateClient, clients[who], address);

  before(async () => {
    cluster = await startAgents(
      root,
      [
        ['cp-1', '127.0.0.1', 'controlplane'],
        ['worker-1', '127.0.0.2', 'worker'],
      ],
      {cluster: CLUSTER},
    );
    ({ca, port, agents: nodes} = cluster);
    clients.admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
    clients.reader = await issueClientCert(ca, {roles: [' os:reader ', ''], ttlMs: DAY});
  });

  after(async () => {
    await cluster?.stop();
    fs.rmSync(root, {recursive: true, force: true});
  });

  it('answers Version with one envelope message describing osd', async () => {
    const response = await unary(machine(), 'version', {});
    assert.equal(response.messages.length, 1);
    const [message] = response.messages;
    assert.equal(message.metadata, undefined);
    assert.equal(message.version.tag, `v${packageVersion}`);
    assert.match(message.version.goVersion, /^node v\d+\./);
    assert.equal(message.version.os, 'linux');
    assert.ok(['amd64', 'arm64'].includes(message.version.arch));
    assert.deepEqual(message.platform, {name: 'osd', mode: 'metal'});
    assert.deepEqual(message.features, {rbac: true});
  });

  it('writes the hostname file and answers Hostname', async () => {
    assert.equal(fs.readFileSync(path.join(root, 'cp-1/etc/hostname'), 'utf8'), 'cp-1\n');
    const response = await unary(machine(), 'hostname', {});
    assert.deepEqual(response.messages, [{metadata: undefined, hostname: 'cp-1'}]);
  });

  it('lists ResourceDefinitions with proto and YAML specs', async () => {
    const resources = (await collect(state().list({namespace: 'meta', type: RD}, metadataOf()))).map((r) => r.resource);
    const ids = resources.map((r) => r.metadata.id);
    for (const id of ['machineconfigs.config.talos.dev', 'members.cluster.talos.dev', 'hostnamestatuses.net.talos.dev', 'resourcedefinitions.meta.cosi.dev']) {
      assert.ok(ids.includes(id), `${id} missing from ${ids}`);
    }
    const machineConfigs = resources.find((r) => r.metadata.id === 'machineconfigs.config.talos.dev');
    assert.equal(machineConfigs.metadata.version, '1');
    assert.equal(machineConfigs.metadata.namespace, 'meta');
    const spec = ResourceDefinitionSpec.decode(machineConfigs.spec.protoSpec);
    assert.equal(spec.resourceType, MACHINE_CONFIGS);
    assert.deepEqual(spec.aliases, ['machineconfig', 'mc', 'mcs']);
    assert.equal(spec.sensitivity, 1);
    assert.deepEqual(yaml.load(machineConfigs.spec.yamlSpec).aliases, ['machineconfig', 'mc', 'mcs']);
    assert.equal(yaml.load(machineConfigs.spec.yamlSpec).sensitivity, 'sensitive');
  });

  it('serves the machine config to os:admin only', async () => {
    const request = {namespace: 'config', type: MACHINE_CONFIGS, id: 'v1alpha1'};
    const {resource} = await unary(state(), 'get', request);
    const configText = fs.readFileSync(path.join(root, 'cp-1/system/state/config.yaml'), 'utf8');
    assert.equal(yaml.load(resource.spec.yamlSpec), configText);
    assert.equal(new TextDecoder().decode(MachineConfigSpec.decode(resource.spec.protoSpec).yamlMarshalled), configText);
    assert.deepEqual(resource.metadata.annotations, {'talos.dev/yaml-spec': '1'});
    assert.equal(resource.metadata.owner, '');
    await rejectsWith(unary(state('reader'), 'get', request), grpc.status.PERMISSION_DENIED, 'not authorized');
    await rejectsWith(collect(state('reader').list({namespace: 'config', type: MACHINE_CONFIGS}, metadataOf())), grpc.status.PERMISSION_DENIED, 'not authorized');
  });

  it('lets a reader list the members found through discovery', async () => {
    const members = await eventually(async () => {
      const list = (await collect(state('reader').list({namespace: 'cluster', type: MEMBERS}, metadataOf()))).map((r) => r.resource);
      assert.deepEqual(list.map((r) => r.metadata.id), ['cp-1', 'worker-1']);
      return list;
    });
    const [cp, worker] = members.map((r) => yaml.load(r.spec.yamlSpec));
    assert.equal(cp.nodeId, nodes[0].nodeId);
    assert.deepEqual(cp.addresses, ['127.0.0.1']);
    assert.equal(cp.machineType, 'controlplane');
    assert.equal(cp.operatingSystem, `osd (v${packageVersion})`);
    assert.deepEqual(cp.controlPlane, {port: 6443});
    assert.equal(worker.machineType, 'worker');
    assert.equal('controlPlane' in worker, false);
    const proto = MemberSpec.decode(members[1].spec.protoSpec);
    assert.deepEqual([...proto.addresses[0].ip], [127, 0, 0, 2]);
    assert.equal(members[0].metadata.owner, 'cluster.MemberController');
  });

  it('refuses a client certificate from a foreign CA', async () => {
    const foreignCA = await generateCA({organization: 'talos', ttlMs: DAY});
    const foreignAdmin = await issueClientCert(foreignCA, {roles: ['os:admin'], ttlMs: DAY});
    const client = cluster.connect(MachineClient, foreignAdmin);
    await assert.rejects(unary(client, 'version', {}), (error) => error.code === grpc.status.UNAVAILABLE);
  });

  it('requires ExtKeyUsage to be exactly clientAuth', async () => {
    const both = await issueOddClientCert(ca, {roles: ['os:admin'], usages: [x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]});
    const client = cluster.connect(MachineClient, both);
    await rejectsWith(unary(client, 'version', {}), grpc.status.PERMISSION_DENIED, /^certificate "O=os:admin" is missing the client auth extended key usage$/);
  });

  it('forwards to the node named by the node metadata, by IP or by member name', async () => {
    const byIp = await unary(machine(), 'hostname', {}, {node: '127.0.0.2'});
    assert.equal(byIp.messages[0].hostname, 'worker-1');
    const byName = await unary(machine(), 'hostname', {}, {node: 'worker-1'});
    assert.equal(byName.messages[0].hostname, 'worker-1');
    const self = await unary(machine(), 'hostname', {}, {node: 'cp-1'});
    assert.equal(self.messages[0].hostname, 'cp-1');
    const streamed = (await collect(state().list({namespace: 'network', type: 'HostnameStatuses.net.talos.dev'}, metadataOf({node: '127.0.0.2'})))).map((r) => r.resource);
    assert.equal(yaml.load(streamed[0].spec.yamlSpec).hostname, 'worker-1');
  });

  it('forwards the caller roles, not the forwarding certificate', async () => {
    await rejectsWith(
      unary(state('reader'), 'get', {namespace: 'config', type: MACHINE_CONFIGS, id: 'v1alpha1'}, {node: '127.0.0.2'}),
      grpc.status.PERMISSION_DENIED,
      'not authorized',
    );
    const {resource} = await unary(state(), 'get', {namespace: 'config', type: MACHINE_CONFIGS, id: 'v1alpha1'}, {node: '127.0.0.2'});
    assert.match(yaml.load(resource.spec.yamlSpec), /type: worker/);
  });

  it('ignores talos-role metadata from a client that is not an impersonator', async () => {
    await rejectsWith(
      unary(state('reader'), 'get', {namespace: 'config', type: MACHINE_CONFIGS, id: 'v1alpha1'}, {'talos-role': 'os:admin'}),
      grpc.status.PERMISSION_DENIED,
      'not authorized',
    );
  });

  it('reports an unreachable node as Unavailable, naming it', async () => {
    await rejectsWith(unary(machine(), 'hostname', {}, {node: '127.0.0.3'}), grpc.status.UNAVAILABLE, /node 127\.0\.0\.3 .*unreachable/);
  });

  it('forwards client-streaming calls', async () => {
    const recover = (node) =>
      new Promise((resolve, reject) => {
        const call = machine().etcdRecover(metadataOf({node}), {deadline: Date.now() + 10_000}, (error, response) => (error ? reject(error) : resolve(response)));
        call.write({bytes: Buffer.from('snapshot chunk')});
        call.end();
      });
    // The target's own answer (its state dir has no var/lib yet), so the upload reached it.
    await rejectsWith(recover('127.0.0.2'), grpc.status.FAILED_PRECONDITION, 'etcd service is not ready for recovery yet');
    await rejectsWith(recover('127.0.0.3'), grpc.status.UNAVAILABLE, /node 127\.0\.0\.3 .*unreachable/);
  });

  it('propagates cancellation and deadlines of forwarded streams to the target node', async () => {
    const remote = nodes[1].store;
    const baseline = watcherCount(remote);
    const request = {namespace: 'cluster', type: MEMBERS, options: {bootstrapContents: true, labelQuery: [], tailEvents: 0, aggregated: false, bootstrapBookmark: false}, apiVersion: 1};

    const cancelled = state().watch(request, metadataOf({node: '127.0.0.2'}));
    cancelled.on('error', () => {}); // CANCELLED, requested below
    await take(cancelled, 2);
    assert.equal(watcherCount(remote), baseline + 1);
    cancelled.cancel();
    await eventually(() => assert.equal(watcherCount(remote), baseline));

    const expiring = state().watch(request, metadataOf({node: '127.0.0.2'}), {deadline: Date.now() + 500});
    await take(expiring, 2);
    await assert.rejects(collect(expiring), (error) => error.code === grpc.status.DEADLINE_EXCEEDED);
    await eventually(() => assert.equal(watcherCount(remote), baseline));
  });

  it('rejects multi-valued node metadata (one-to-many nodes: agent-routing.test.js)', async () => {
    await rejectsWith(unary(machine(), 'hostname', {}, {node: ['127.0.0.1', '127.0.0.2']}), grpc.status.INVALID_ARGUMENT, 'node metadata must be single-valued');
  });

  it('denies every write verb', async () => {
    const pointer = {namespace: 'cluster', type: MEMBERS, id: 'cp-1'};
    const resource = {metadata: {...pointer, version: '1', owner: '', phase: 'running', finalizers: [], labels: {}, annotations: {}}, spec: {protoSpec: new Uint8Array(), yamlSpec: ''}};
    const calls = [
      ['create', {resource}],
      ['update', {newResource: resource}],
      ['destroy', pointer],
      ['teardown', pointer],
      ['teardownAndDestroy', pointer],
    ];
    for (const [method, request] of calls) {
      await rejectsWith(unary(state(), method, request), grpc.status.PERMISSION_DENIED, 'write access is not allowed');
    }
    await rejectsWith(unary(state('reader'), 'destroy', pointer), grpc.status.PERMISSION_DENIED, 'not authorized');
  });

  it('applies the access policy to unknown types and namespaces, and reports missing resources', async () => {
    await rejectsWith(unary(state(), 'get', {namespace: 'cluster', type: 'Gadgets.cluster.talos.dev', id: 'x'}), grpc.status.PERMISSION_DENIED, 'resource type "Gadgets.cluster.talos.dev" is not supported');
    await rejectsWith(unary(state(), 'get', {namespace: 'nowhere', type: MEMBERS, id: 'x'}), grpc.status.PERMISSION_DENIED, 'namespace "nowhere" is not supported');
    await rejectsWith(unary(state(), 'get', {namespace: 'cluster', type: MEMBERS, id: 'nobody'}), grpc.status.NOT_FOUND, /doesn't exist/);
  });

  it('filters List by id regexp and rejects a bad pattern', async () => {
    const list = (options) => collect(state().list({namespace: 'meta', type: RD, options}, metadataOf()));
    const matched = (await list({labelQuery: [], idQuery: {regexp: '^host'}})).map((r) => r.resource.metadata.id);
    assert.deepEqual(matched, ['hostnamespecs.net.talos.dev', 'hostnamestatuses.net.talos.dev']);
    await rejectsWith(list({labelQuery: [], idQuery: {regexp: '(unclosed'}}), grpc.status.INVALID_ARGUMENT, /invalid id query regexp/);
  });

  it('watches a kind: empty first response, bootstrap contents, BOOTSTRAPPED, then live events', async () => {
    const stream = state().watch({namespace: 'cluster', type: MEMBERS, options: {bootstrapContents: true, labelQuery: [], tailEvents: 0, aggregated: false, bootstrapBookmark: false}, apiVersion: 1}, metadataOf());
    const [first, created1, created2, bootstrapped] = await take(stream, 4);
    assert.deepEqual(first.event, []);
    assert.deepEqual([created1, created2].map((r) => [r.event[0].eventType, r.event[0].resource.metadata.id]), [[EventType.CREATED, 'cp-1'], [EventType.CREATED, 'worker-1']]);
    assert.equal(bootstrapped.event[0].eventType, EventType.BOOTSTRAPPED);
    assert.equal(bootstrapped.event[0].resource.metadata.id, '');
    assert.equal(bootstrapped.event[0].resource.metadata.version, 'undefined');

    // A third node joins through the discovery directory.
    const joined = take(stream, 1);
    const affiliate = {nodeId: 'ThirdNode0000000000000000', nodename: 'worker-2', hostname: 'worker-2', addresses: ['127.0.0.9'], machineType: 'worker', operatingSystem: 'osd (v0.0.0)'};
    fs.writeFileSync(path.join(discoveryDir, `${affiliate.nodeId}.yaml`), yaml.dump(affiliate));
    const [live] = await joined;
    assert.equal(live.event[0].eventType, EventType.CREATED);
    assert.equal(live.event[0].resource.metadata.id, 'worker-2');

    const left = take(stream, 1);
    fs.rmSync(path.join(discoveryDir, `${affiliate.nodeId}.yaml`));
    assert.equal((await left)[0].event[0].eventType, EventType.DESTROYED);
    stream.cancel();
  });

  it('watch with api_version 0 gets no BOOTSTRAPPED; a single-resource watch starts with the current state', async () => {
    const legacy = state().watch({namespace: 'cluster', type: MEMBERS, options: {bootstrapContents: true, labelQuery: [], tailEvents: 0, aggregated: true, bootstrapBookmark: false}, apiVersion: 0}, metadataOf());
    const [established, batch] = await take(legacy, 2);
    assert.deepEqual(established.event, []);
    assert.deepEqual(batch.event.map((e) => e.eventType), [EventType.CREATED, EventType.CREATED], 'aggregated bootstrap, no BOOTSTRAPPED');
    legacy.cancel();

    const missing = state().watch({namespace: 'cluster', type: MEMBERS, id: 'ghost', apiVersion: 1}, metadataOf());
    const [, tombstone] = await take(missing, 2);
    assert.equal(tombstone.event[0].eventType, EventType.DESTROYED);
    assert.equal(tombstone.event[0].resource.metadata.id, 'ghost');
    missing.cancel();

    const present = state().watch({namespace: 'network', type: 'HostnameStatuses.net.talos.dev', id: 'hostname', apiVersion: 1}, metadataOf({node: '127.0.0.2'}));
    const [, current] = await take(present, 2);
    assert.equal(current.event[0].eventType, EventType.CREATED);
    assert.equal(yaml.load(current.event[0].resource.spec.yamlSpec).hostname, 'worker-1');
    present.cancel();
  });

  it('generates a client configuration on a control plane node', async () => {
    const response = await unary(machine(), 'generateClientConfiguration', {roles: ['os:reader', ' os:reader', ''], crtTtl: {seconds: 3600n, nanos: 0}});
    assert.equal(response.messages.length, 1);
    const [generated] = response.messages;
    const decode = (bytes) => new TextDecoder().decode(bytes);
    assert.equal(decode(generated.ca), ca.crt);
    assert.deepEqual(certificateInfo(decode(generated.crt)).roles, ['os:reader']);
    const talosconfig = yaml.load(decode(generated.talosconfig));
    assert.equal(talosconfig.context, `reader@${CLUSTER}`);
    const context = talosconfig.contexts[`reader@${CLUSTER}`];
    assert.deepEqual(context.endpoints, []);
    assert.equal(Buffer.from(context.crt, 'base64').toString(), decode(generated.crt));

    // The generated certificate works against the node.
    const issued = {crt: decode(generated.crt), key: decode(generated.key)};
    const client = cluster.connect(MachineClient, issued);
    assert.equal((await unary(client, 'hostname', {})).messages[0].hostname, 'cp-1');

    const multi = await unary(machine(), 'generateClientConfiguration', {roles: ['os:reader', 'os:admin'], crtTtl: {seconds: 60n, nanos: 0}});
    assert.equal(yaml.load(decode(multi.messages[0].talosconfig)).context, CLUSTER);
    // Both roles sit in one multi-valued Subject O; os:admin among them opens the machine config.
    const multiClient = cluster.connect(StateClient, {crt: decode(multi.messages[0].crt), key: decode(multi.messages[0].key)});
    assert.equal((await unary(multiClient, 'get', {namespace: 'config', type: MACHINE_CONFIGS, id: 'v1alpha1'})).resource.metadata.id, 'v1alpha1');

    await rejectsWith(unary(machine(), 'generateClientConfiguration', {roles: ['os:admin']}), grpc.status.INVALID_ARGUMENT, 'crt_ttl should be positive');
    await rejectsWith(
      unary(machine(), 'generateClientConfiguration', {roles: ['os:admin'], crtTtl: {seconds: 60n, nanos: 0}}, {node: '127.0.0.2'}),
      grpc.status.UNIMPLEMENTED,
      'generate client configuration is only available on control plane nodes',
    );
    await rejectsWith(unary(machine('reader'), 'generateClientConfiguration', {roles: ['os:admin'], crtTtl: {seconds: 60n, nanos: 0}}), grpc.status.PERMISSION_DENIED, 'not authorized');
  });

  it('answers the etcd methods, and checks authorization first', async () => {
    // The etcd methods answer for themselves: this node's config has no etcd CA, so etcd never ran here.
    await rejectsWith(unary(machine(), 'etcdAlarmList', {}), grpc.status.UNKNOWN, 'failed to create etcd client: the etcd service has not issued its certificates on this node yet');
    await rejectsWith(unary(machine('reader'), 'reboot', {mode: 0}), grpc.status.PERMISSION_DENIED, 'not authorized');
  });
});

describe('COSI list and watch queries', () => {
  const resource = (id, labels) => ({metadata: {id, labels}});
  const ids = (filter) =>
    [resource('a', {tier: 'web', rank: '9'}), resource('b', {tier: 'db', rank: '10'}), resource('c', {})].filter(filter).map((r) => r.metadata.id);
  const term = (key, op, value = [], invert = false) => ({key, op, value, invert});

  it('combines terms of one query with AND and queries with OR', () => {
    assert.deepEqual(ids(queryFilter([{terms: [term('tier', Op.EXISTS)]}])), ['a', 'b']);
    assert.deepEqual(ids(queryFilter([{terms: [term('tier', Op.EXISTS), term('tier', Op.EQUAL, ['db'])]}])), ['b']);
    assert.deepEqual(ids(queryFilter([{terms: [term('tier', Op.EQUAL, ['db'])]}, {terms: [term('tier', Op.NOT_EXISTS)]}])), ['b', 'c']);
  });

  it('implements each operation, inverted terms included', () => {
    assert.deepEqual(ids(queryFilter([{terms: [term('tier', Op.IN, ['web', 'db'])]}])), ['a', 'b']);
    assert.deepEqual(ids(queryFilter([{terms: [term('tier', Op.EQUAL, ['web'], true)]}])), ['b', 'c']);
    assert.deepEqual(ids(queryFilter([{terms: [term('rank', Op.LT, ['5'])]}])), ['b'], 'string order: "10" < "5"');
    assert.deepEqual(ids(queryFilter([{terms: [term('rank', Op.LT_NUMERIC, ['10'])]}])), ['a']);
    assert.deepEqual(ids(queryFilter([{terms: [term('rank', Op.LTE_NUMERIC, ['10'])]}])), ['a', 'b']);
  });

  it('matches ids with RE2-style patterns', () => {
    assert.deepEqual(ids(queryFilter([], {regexp: '(?i)^[AB]$'})), ['a', 'b']);
    assert.deepEqual(ids(queryFilter([], {regexp: '(?P<x>c)'})), ['c']);
    assert.throws(() => queryFilter([], {regexp: '['}), (error) => error.code === grpc.status.INVALID_ARGUMENT);
  });
});

describe('osd process', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-process-'));
  after(() => fs.rmSync(root, {recursive: true, force: true}));

  it('announces itself, joins discovery and leaves cleanly on SIGTERM', async () => {
    const ca = await generateCA({organization: 'talos', ttlMs: DAY});
    const stateDir = await makeStateDir(root, {name: 'solo', address: '127.0.0.1', type: 'controlplane', ca, cluster: CLUSTER});
    const discoveryDir = path.join(root, 'discovery');
    fs.mkdirSync(discoveryDir);
    const port = await freePort(['127.0.0.1']);
    const {child, output, exited} = osdProcess(['--state-dir', stateDir, '--address', '127.0.0.1', '--port', String(port), '--discovery-dir', discoveryDir]);
    try {
      await eventually(() => assert.equal(output.stdout, `osd listening on 127.0.0.1:${port}\n`), 15_000);
      const nodeId = fs.readFileSync(path.join(stateDir, 'system/state/node-identity'), 'utf8').trim();
      assert.match(nodeId, /^[0-9A-Za-z]{40,44}$/);
      const affiliate = yaml.load(fs.readFileSync(path.join(discoveryDir, `${nodeId}.yaml`), 'utf8'));
      assert.deepEqual(affiliate, {
        nodeId,
        nodename: 'solo',
        hostname: 'solo',
        addresses: ['127.0.0.1'],
        machineType: 'controlplane',
        operatingSystem: `osd (v${packageVersion})`,
        controlPlane: {port: 6443},
      });
      assert.match(fs.readFileSync(path.join(stateDir, 'var/log/osd.log'), 'utf8'), /serving on 127\.0\.0\.1/);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, output.stderr);
    assert.deepEqual(fs.readdirSync(discoveryDir), []);
  });

  it('refuses an invalid machine config, naming the field', async () => {
    const ca = await generateCA({organization: 'talos', ttlMs: DAY});
    const stateDir = await makeStateDir(root, {name: 'broken', address: '127.0.0.1', type: 'controlplane', ca, cluster: CLUSTER});
    const configPath = path.join(stateDir, 'system/state/config.yaml');
    fs.writeFileSync(configPath, fs.readFileSync(configPath, 'utf8').replace('type: controlplane', 'type: mainframe'));
    const {output, exited} = osdProcess(['--state-dir', stateDir, '--address', '127.0.0.1', '--port', String(await freePort(['127.0.0.1']))]);
    assert.equal(await exited, 1);
    assert.equal(output.stdout, '');
    assert.match(output.stderr, /invalid machine config .*config\.yaml/);
    assert.match(output.stderr, /machine\.type/);
  });

  it('rejects a missing --address with usage', async () => {
    const {output, exited} = osdProcess(['--state-dir', root]);
    assert.equal(await exited, 2);
    assert.match(output.stderr, /--address must be the node's IP address/);
  });
});
