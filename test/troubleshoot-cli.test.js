// service, containers, logs and restart through the built CLI against an in-process fake
// MachineService (mTLS on 127.46.0.2): the requests osctl sends, per-node error handling, exit
// codes, follow until Ctrl-C and backpressure. The fake answers per `node` metadata.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {ContainerDriver} from '../dist/machinery/api/common/common.js';
import {MachineServiceService} from '../dist/machinery/api/machine/machine.js';
import {generateCA, issueClientCert, issueServerCert} from '../dist/machinery/pki.js';
import {OsClient} from '../dist/cli/client.js';
import {containerIds, logIds, serviceIds} from '../dist/cli/node-api.js';
import {contextCredentials, contextEndpoints, readTalosconfig, selectContext} from '../dist/cli/talosconfig.js';
import {DAY, freePort, normalizeKey} from './helpers/agents.js';
import {makeHome, osctl, osctlSpawn} from './helpers/cli.js';

const ENDPOINT = '127.46.0.2';
const A = '127.46.0.10';
const B = '127.46.0.11';
const BAD = '127.46.0.99';
/** streams its log forever (for -f and backpressure) */
const FLOOD = '127.46.0.12';

/** Event times relative to the moment of the request, so ages read the same however slow the run. */
const ts = (agoMs) => new Date(Date.now() - agoMs);

const services = () => ({
  [A]: [
    {id: 'apid', state: 'Running', health: {unknown: false, healthy: true, lastMessage: ''}, events: {events: [
      {msg: 'Starting service', state: 'Starting', ts: ts(70_000)}, {msg: 'Service started as goroutine', state: 'Running', ts: ts(60_000)}]}},
    {id: 'etcd', state: 'Preparing', health: {unknown: true, healthy: false, lastMessage: ''}, events: {events: [
      {msg: 'Running pre state', state: 'Preparing', ts: ts(17_000)}]}},
  ],
  [B]: [{id: 'apid', state: 'Running', health: {unknown: false, healthy: false, lastMessage: 'not listening'}, events: {events: []}}],
});

const received = [];
const nodeOf = (call) => call.metadata.get('node')[0];
const failure = (code, details) => Object.assign(new Error(details), {code, details});

function unaryHandler(answer) {
  return (call, callback) => {
    const node = nodeOf(call);
    received.push({method: answer.name, node, request: call.request});
    if (node === BAD) return callback(failure(grpc.status.UNKNOWN, 'service "etcd" doesn\'t support stop operation via API'));
    callback(null, answer(node, call.request));
  };
}

const floodLine = Buffer.from(`${'x'.repeat(1000)}\n`);
let floodWritten = 0;

const handlers = {
  serviceList: unaryHandler(function serviceList(node) {
    return {messages: [{services: services()[node] ?? []}]};
  }),
  serviceStop: unaryHandler(function serviceStop(node, request) {
    return {messages: [{resp: `Service "${request.id}" stopped`}]};
  }),
  serviceStart: unaryHandler(function serviceStart(node, request) {
    return {messages: [{resp: `Service "${request.id}" started`}]};
  }),
  serviceRestart: unaryHandler(function serviceRestart(node, request) {
    return {messages: [{resp: `Service "${request.id}" restarted`}]};
  }),
  restart: unaryHandler(function restart() {
    return {messages: [{}]};
  }),
  containers: unaryHandler(function containers(node, request) {
    const c = (id, podId, pid, status, image) => ({namespace: request.namespace, id, podId, name: id, image, pid, status, networkNamespace: '', internalId: '', uid: ''});
    return {messages: [{containers: node === A
      ? [c('default/web-1:app:aaaaaaaaaaaa', 'default/web-1', 12, 'CONTAINER_RUNNING', 'nginx'), c('default/web-1', 'default/web-1', 11, 'SANDBOX_READY', 'pause:3.6')]
      : [c('kube-system/dns', 'kube-system/dns', 21, 'SANDBOX_READY', 'pause:3.6')]}]};
  }),
  logsContainers: unaryHandler(function logsContainers() {
    return {messages: [{ids: ['apid', 'kubelet']}]};
  }),
  logs(call) {
    const node = nodeOf(call);
    received.push({method: 'logs', node, request: call.request});
    if (node === BAD) return call.emit('error', failure(grpc.status.UNKNOWN, `log "${call.request.id}" was not registered`));
    if (node === FLOOD) {
      const pump = () => {
        while (!call.cancelled) {
          floodWritten += floodLine.length;
          if (!call.write({bytes: floodLine})) return void call.once('drain', pump);
        }
      };
      call.on('cancelled', () => {});
      return pump();
    }
    // Chunks that cut lines anywhere, as the server may.
    const text = node === A ? 'alpha one\nalpha two\nalpha no newline' : 'beta one\r\nbeta two\n';
    for (let i = 0; i < text.length; i += 4) call.write({bytes: Buffer.from(text.slice(i, i + 4))});
    if (call.request.follow) return; // stays open until the client goes
    call.end();
  },
};

let server;
let home;
let env;

before(async () => {
  const ca = await generateCA({organization: 'talos', ttlMs: DAY});
  const serverCert = await issueServerCert(ca, {ips: [ENDPOINT], dnsNames: ['fake'], commonName: 'fake', ttlMs: DAY});
  const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
  const port = await freePort([ENDPOINT]);
  server = new grpc.Server();
  server.addService(MachineServiceService, handlers);
  const credentials = grpc.ServerCredentials.createSsl(Buffer.from(ca.crt), [{private_key: Buffer.from(normalizeKey(serverCert.key)), cert_chain: Buffer.from(serverCert.crt)}], true);
  await new Promise((resolve, reject) => server.bindAsync(`${ENDPOINT}:${port}`, credentials, (err) => (err ? reject(err) : resolve())));
  ({home, env} = makeHome('osctl-h3-'));
  fs.mkdirSync(path.join(home, '.talos'), {recursive: true});
  const b64 = (text) => Buffer.from(text).toString('base64');
  fs.writeFileSync(path.join(home, '.talos', 'config'), [
    'context: fake',
    'contexts:',
    '  fake:',
    `    endpoints: ["${ENDPOINT}:${port}"]`,
    `    nodes: ["${A}"]`,
    `    ca: ${b64(ca.crt)}`,
    `    crt: ${b64(admin.crt)}`,
    `    key: ${b64(admin.key)}`,
    '',
  ].join('\n'));
});

after(async () => {
  await new Promise((resolve) => server.tryShutdown(resolve));
  fs.rmSync(home, {recursive: true, force: true});
});

const run = (args, options) => osctl(args, {env, timeoutMs: 30_000, ...options});
const lastRequest = (method) => received.filter((r) => r.method === method).at(-1).request;

describe('service', () => {
  it('lists every node\'s services in node order; a failed node is reported after the table (exit 3)', async () => {
    const r = await run(['-n', `${A},${BAD},${B}`, 'service']);
    assert.equal(r.code, 3, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0], /^NODE {10}SERVICE   STATE {7}HEALTH   LAST CHANGE   LAST EVENT$/);
    assert.match(lines[1], /^127\.46\.0\.10   apid      Running     OK       1m0s ago      Service started as goroutine$/);
    assert.match(lines[2], /^127\.46\.0\.10   etcd      Preparing   \? {8}17s ago       Running pre state$/);
    assert.match(lines[3], /^127\.46\.0\.11   apid      Running     Fail      ago {10}<none>$/);
    assert.equal(lines.length, 5);
    assert.match(r.stderr, /^error from node 127\.46\.0\.99: rpc error: code = Unknown desc = service "etcd" doesn't support stop operation via API\n$/);
  });

  it('prints the header even when every node fails (exit 1)', async () => {
    const r = await run(['-n', BAD, 'service']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'NODE   SERVICE   STATE   HEALTH   LAST CHANGE   LAST EVENT\n');
  });

  it('shows one service per node that has it; "not registered" only when no node failed', async () => {
    const detail = await run(['-n', `${A},${B}`, 'service', 'etcd']);
    assert.equal(detail.code, 0, detail.stderr);
    assert.equal(detail.stdout, 'NODE     127.46.0.10\nID       etcd\nSTATE    Preparing\nHEALTH   ?\nEVENTS   [Preparing]: Running pre state (17s ago)\n');
    const health = await run(['-n', B, 'service', 'apid', 'status']);
    assert.match(health.stdout, /^LAST HEALTH MESSAGE   not listening$/m);
    const missing = await run(['-n', `${A},${B}`, 'service', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^error: service "nope" is not registered on any nodes$/m);
    const partly = await run(['-n', `${A},${BAD}`, 'service', 'nope']);
    assert.doesNotMatch(partly.stderr, /not registered/);
    assert.match(partly.stderr, /^error from node 127\.46\.0\.99: /m);
    assert.equal(partly.code, 3);
  });

  it('start/stop/restart print NODE RESPONSE; a refused node is reported; a bad action is refused', async () => {
    const r = await run(['-n', `${A},${BAD}`, 'services', 'ext-hello', 'restart']);
    assert.equal(r.stdout, 'NODE          RESPONSE\n127.46.0.10   Service "ext-hello" restarted\n');
    assert.equal(r.code, 3);
    assert.deepEqual(lastRequest('serviceRestart'), {id: 'ext-hello'});
    const bad = await run(['service', 'etcd', 'frob']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: unsupported service action: "frob"$/m);
  });

  it('-o json / yaml print the records', async () => {
    const r = await run(['-n', B, 'service', '-o', 'json']);
    const record = JSON.parse(r.stdout);
    assert.equal(record.node, B);
    assert.equal(record.id, 'apid');
    assert.equal(record.health.lastMessage, 'not listening');
    const y = await run(['-n', A, 'service', 'apid', 'stop', '-o', 'yaml']);
    assert.equal(y.stdout, `node: ${A}\nresp: Service "apid" stopped\n`);
  });
});

describe('containers and restart', () => {
  it('containers -k asks k8s.io through CRI and draws the tree per node', async () => {
    const r = await run(['-n', `${A},${B}`, 'c', '-k']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastRequest('containers'), {namespace: 'k8s.io', driver: ContainerDriver.CRI});
    assert.equal(r.stdout, [
      'NODE          NAMESPACE   ID                                  IMAGE       PID   STATUS',
      '127.46.0.10   k8s.io      default/web-1                       pause:3.6   11    SANDBOX_READY',
      '127.46.0.10   k8s.io      \u2514\u2500 default/web-1:app:aaaaaaaaaaaa   nginx       12    CONTAINER_RUNNING',
      '127.46.0.11   k8s.io      kube-system/dns                     pause:3.6   21    SANDBOX_READY',
      '',
    ].join('\n'));
    const system = await run(['-n', `${BAD}`, 'containers']);
    assert.deepEqual(lastRequest('containers'), {namespace: 'system', driver: ContainerDriver.CONTAINERD});
    assert.equal(system.stdout, 'NODE   NAMESPACE   ID   IMAGE   PID   STATUS\n');
    assert.equal(system.code, 1);
    const yaml = await run(['-n', A, 'containers', '-k', '-o', 'yaml']);
    assert.match(yaml.stdout, /^node: 127\.46\.0\.10\nnamespace: k8s\.io\nid: default\/web-1\n[^]*---\n[^]*id: default\/web-1:app:aaaaaaaaaaaa\n/);
  });

  it('restart is silent on success and reports failed nodes', async () => {
    const r = await run(['-n', `${A},${BAD}`, 'restart', '-k', 'default/web-1:app:aaaaaaaaaaaa']);
    assert.equal(r.stdout, '');
    assert.equal(r.code, 3);
    assert.equal(r.stderr, 'error restarting process on node 127.46.0.99: rpc error: code = Unknown desc = service "etcd" doesn\'t support stop operation via API\n');
    const request = lastRequest('restart');
    assert.deepEqual(request, {namespace: 'k8s.io', id: 'default/web-1:app:aaaaaaaaaaaa', driver: ContainerDriver.CRI});
  });
});

describe('logs', () => {
  it('prefixes whole lines per node, keeps CRs, reports the failed node, prints leftovers at the end', async () => {
    const r = await run(['-n', `${A},${BAD},${B}`, 'logs', 'kubelet', '--tail', '20']);
    assert.equal(r.code, 3);
    assert.deepEqual(lastRequest('logs'), {namespace: 'system', id: 'kubelet', driver: ContainerDriver.CONTAINERD, follow: false, tailLines: 20});
    const lines = r.stdout.split('\n');
    assert.deepEqual(lines.filter((l) => l.startsWith(`${A}: `)), [`${A}: alpha one`, `${A}: alpha two`, `${A}: alpha no newline`]);
    assert.deepEqual(lines.filter((l) => l.startsWith(`${B}: `)), [`${B}: beta one\r`, `${B}: beta two`]);
    assert.equal(lines.at(-2), `${A}: alpha no newline`, 'the unfinished line comes last');
    assert.match(r.stderr, /^error from node 127\.46\.0\.99: rpc error: code = Unknown desc = log "kubelet" was not registered\n  hint: service logs are named by service id/);
  });

  it('sends -1 by default and -k as k8s.io/CRI; refuses --tail -5 and --since without -k before connecting', async () => {
    await run(['logs', '-k', 'default/web-1:app']);
    assert.deepEqual(lastRequest('logs'), {namespace: 'k8s.io', id: 'default/web-1:app', driver: ContainerDriver.CRI, follow: false, tailLines: -1});
    const count = received.length;
    const tail = await run(['logs', 'kubelet', '--tail', '-5']);
    assert.equal(tail.code, 2);
    assert.match(tail.stderr, /^error: --tail -5: the count of lines cannot be negative; use --tail 5 for the last lines, or leave --tail out for every line$/m);
    const since = await run(['logs', 'kubelet', '--since', '5m']);
    assert.equal(since.code, 2);
    assert.match(since.stderr, /--since needs timestamped lines: service logs carry no timestamps/);
    assert.equal(received.length, count, 'nothing was asked');
  });

  it('-f follows until Ctrl-C, printing lines as they come; exit 130 with no error', async () => {
    const child = osctlSpawn(['-n', `${A},${B}`, 'logs', 'apid', '-f'], {env});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
    const deadline = Date.now() + 15_000;
    while (!(stdout.includes('alpha two\n') && stdout.includes('beta two\n')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(stdout.includes('beta two\n'), stdout);
    assert.doesNotMatch(stdout, /no newline/, 'the unfinished line waits while following');
    await new Promise((r) => setTimeout(r, 300));
    process.kill(child.pid, 'SIGINT');
    assert.equal(await exited, 130);
    assert.equal(stderr, '');
    assert.match(stdout, /127\.46\.0\.10: alpha no newline\n$/, 'printed at the end, after Ctrl-C');
  });

  it('reads only as fast as stdout drains: the node stops sending while the reader is stalled', async () => {
    const child = osctlSpawn(['-n', FLOOD, 'logs', 'apid', '-f'], {env});
    const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
    let read = 0;
    child.stdout.on('data', (d) => (read += d.length));
    const deadline = Date.now() + 15_000;
    while (read < 1_000_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(read >= 1_000_000, `only ${read} bytes arrived`);
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 1000));
    const stalledAt = floodWritten;
    await new Promise((r) => setTimeout(r, 1500));
    // With the reader stalled, only windows and buffers (a few MB at most) may still move.
    assert.ok(floodWritten - stalledAt < 4_000_000, `the server kept writing ${floodWritten - stalledAt} bytes to a stalled reader`);
    child.stdout.resume();
    const resumedAt = floodWritten;
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(floodWritten - resumedAt > 1_000_000, 'the stream went on once the reader read again');
    process.kill(child.pid, 'SIGINT');
    assert.equal(await exited, 130);
  });
});

describe('values for completion', () => {
  it('service ids, container ids and log ids of a node', async () => {
    const file = path.join(home, '.talos', 'config');
    const context = selectContext(readTalosconfig(file), file);
    const client = await OsClient.connect({
      configPath: file, contextName: context.name, endpoints: contextEndpoints(context), ...contextCredentials(context),
      timeoutMs: 10_000, signal: new AbortController().signal,
    });
    try {
      assert.deepEqual(await serviceIds(client, A), ['apid', 'etcd']);
      assert.deepEqual(await containerIds(client, A, true), ['default/web-1:app:aaaaaaaaaaaa', 'default/web-1']);
      assert.deepEqual(lastRequest('containers'), {namespace: 'k8s.io', driver: ContainerDriver.CRI});
      assert.deepEqual(await logIds(client, B), ['apid', 'kubelet']);
      await assert.rejects(serviceIds(client, BAD), /doesn't support stop operation/);
    } finally {
      client.close();
    }
  });
});
