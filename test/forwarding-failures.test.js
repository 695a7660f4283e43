// What osd tells a caller when the node it forwards to cannot be reached or goes away: one clean
// sentence naming the node (never grpc-js's framing), a node that ends a call is unavailable
// rather than "canceled", a talosconfig and affiliate files written as Go writes them, and no
// channel left redialling a failed node for nobody. In-process agents on 127.41.0.x.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {createServer} from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {explainRpcError} from '../dist/cli/errors.js';
import {issueClientCert} from '../dist/machinery/pki.js';
import {loadYaml} from '../dist/machinery/yaml.js';
import {toGoYaml} from '../dist/machinery/yaml-emit.js';
import {collect, DAY, eventually, MachineClient, makeStateDir, metadataOf, osdProcess, rejectsWith, startAgents, StateClient, take, unary} from './helpers/agents.js';

process.noDeprecation = true; // DEP0123: grpc-js passes IP targets as the TLS server name.

const CP = '127.41.0.1';
const WORKER = '127.41.0.2';
const KILLED = '127.41.0.3'; // an osd process, killed during a call
const DEAD = '127.41.0.8'; // nothing listens
const CLOSER = '127.41.0.9'; // accepts TCP and closes at once
const MEMBERS = 'Members.cluster.talos.dev';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('forwarding failures', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-forwarding-failures-'));
  const machine = () => cluster.connect(MachineClient, admin);
  const state = () => cluster.connect(StateClient, admin);
  let cluster;
  let admin;
  let closer;
  let closerConnections = 0;

  before(async () => {
    cluster = await startAgents(root, [['cp-1', CP, 'controlplane'], ['worker-1', WORKER, 'worker']], {cluster: 'failures-test', alsoFreeOn: [KILLED, DEAD, CLOSER]});
    admin = await issueClientCert(cluster.ca, {roles: ['os:admin'], ttlMs: DAY});
    closer = createServer((socket) => {
      closerConnections++;
      socket.destroy();
    });
    await new Promise((resolve) => closer.listen(cluster.port, CLOSER, resolve));
  });

  after(async () => {
    await cluster?.stop();
    await new Promise((resolve) => (closer ? closer.close(resolve) : resolve()));
    fs.rmSync(root, {recursive: true, force: true});
  });

  it('names an unreachable node in one clean sentence, one-to-one and in one-to-many metadata.error', async () => {
    const clean = `node ${DEAD} (${DEAD}:${cluster.port}) is unreachable: nothing accepts connections there (connection refused)`;
    await rejectsWith(unary(machine(), 'version', {}, {node: DEAD}), grpc.status.UNAVAILABLE, clean);
    const response = await unary(machine(), 'version', {}, {nodes: [CP, DEAD]});
    assert.equal(response.messages[1].metadata.error, `rpc error: code = Unavailable desc = ${clean}`);
    // The CLI says "is unreachable" once, and still names the endpoint and what to check.
    const site = {configPath: '/home/u/.talos/config', contextName: 'lab', endpoint: `${CP}:${cluster.port}`, node: DEAD};
    const explained = explainRpcError({code: grpc.status.UNAVAILABLE, details: clean}, site);
    assert.equal(explained.match(/is unreachable/g).length, 1, explained);
    assert.match(explained, new RegExp(`^${clean.replace(/[.()]/g, '\\$&')}, says endpoint ${CP}:${cluster.port}\\. Check the node address \\(-n\\)`));
  });

  it('stops dialling a node once calls to it have failed', async () => {
    await rejectsWith(unary(machine(), 'version', {}, {node: CLOSER}, {deadline: Date.now() + 3000}), grpc.status.UNAVAILABLE, new RegExp(`^node ${CLOSER} \\(${CLOSER}:\\d+\\) is unreachable: `));
    const seen = closerConnections;
    assert.ok(seen >= 1);
    // grpc-js's reconnect backoff starts at 1 s and grows 1.6 times: a channel kept would redial at
    // about 1, 2.6, 5.2 and 9.3 s. A closed one makes at most the one attempt it had already planned.
    await sleep(4000);
    const settled = closerConnections;
    assert.ok(settled - seen <= 1, `${settled - seen} connections within 4 s after the call`);
    await sleep(6000);
    assert.equal(closerConnections, settled, 'osd redialled a node nobody calls');
  });

  it('refuses a certificate lifetime that ends past 9999-12-31T23:59:59Z', async () => {
    await rejectsWith(
      unary(machine(), 'generateClientConfiguration', {roles: ['os:reader'], crtTtl: {seconds: 99999999999999n, nanos: 0}}),
      grpc.status.INVALID_ARGUMENT,
      'crt_ttl 99999999999999s ends after 9999-12-31T23:59:59Z, the latest end date a certificate can have (RFC 5280)',
    );
  });

  it('writes the talosconfig and affiliate files as Go (yaml.v3) does', async () => {
    const response = await unary(machine(), 'generateClientConfiguration', {roles: ['os:reader'], crtTtl: {seconds: 3600n, nanos: 0}});
    const talosconfig = Buffer.from(response.messages[0].talosconfig).toString();
    assert.equal(talosconfig, toGoYaml(loadYaml(talosconfig)));
    const affiliates = fs.readdirSync(cluster.discoveryDir).filter((name) => name.endsWith('.yaml'));
    assert.equal(affiliates.length, 2);
    for (const name of affiliates) {
      const text = fs.readFileSync(path.join(cluster.discoveryDir, name), 'utf8');
      assert.equal(text, toGoYaml(loadYaml(text)));
      assert.match(text, /^addresses:\n {4}- 127\.41\.0\.\d\n/m); // yaml.v3 indents by 4
    }
  });

  const watchMembers = (node) => state().watch(
    {namespace: 'cluster', type: MEMBERS, options: {bootstrapContents: true, labelQuery: [], tailEvents: 0, aggregated: false, bootstrapBookmark: false}, apiVersion: 1},
    metadataOf({node}),
  );

  it('reports a node whose agent is killed during a forwarded watch as unavailable, naming it', async () => {
    const stateDir = await makeStateDir(root, {name: 'killed-1', address: KILLED, type: 'worker', ca: cluster.ca, cluster: 'failures-test'});
    const osd = osdProcess(['--state-dir', stateDir, '--address', KILLED, '--port', String(cluster.port), '--discovery-dir', cluster.discoveryDir]);
    try {
      const watch = await eventually(async () => {
        const attempt = watchMembers(KILLED);
        attempt.on('error', () => {});
        await take(attempt, 1);
        return attempt;
      }, 15_000);
      const ended = collect(watch);
      osd.child.kill('SIGKILL');
      await rejectsWith(ended, grpc.status.UNAVAILABLE, `node ${KILLED} (${KILLED}:${cluster.port}) ended the call: its agent stopped, or the connection to it was lost`);
    } finally {
      if (osd.child.exitCode === null && osd.child.signalCode === null) osd.child.kill('SIGKILL');
      await osd.exited;
    }
  });

  it('reports a node whose agent stops during a forwarded watch as unavailable, naming it', async () => {
    const watch = watchMembers(WORKER);
    await take(watch, 1);
    const ended = collect(watch);
    await cluster.agents[1].stop();
    await rejectsWith(ended, grpc.status.UNAVAILABLE, `node ${WORKER} (${WORKER}:${cluster.port}) ended the call: its agent stopped, or the connection to it was lost`);
  });
});
