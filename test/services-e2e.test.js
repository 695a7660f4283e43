// The service API end to end on 127.44.x.x: a real osd process with extension services defined in
// its state dir (shell scripts), called over mTLS gRPC: ServiceList, Start, Stop, Restart, Logs,
// LogsContainers, the Services resources, the errors and texts of Talos, and no child process
// left once osd has stopped.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {ContainerDriver} from '../dist/machinery/api/common/common.js';
import {ServiceStateEvent, ServiceStateEvent_Action} from '../dist/machinery/api/machine/machine.js';
import {issueClientCert} from '../dist/machinery/pki.js';
import {clientCredentials, collect, DAY, eventually, MachineClient, rejectsWith, StateClient, unary} from './helpers/agents.js';
import {root as repo} from './helpers/cli.js';
import {prepareCluster} from './helpers/osd-processes.js';
import {endRecordedProcessGroups} from './helpers/process-groups.js';

process.noDeprecation = true; // DEP0123: grpc-js passes IP targets as the TLS server name.

const ADDRESS = '127.44.0.2';
const SERVICES = 'Services.v1alpha1.talos.dev';

function writeExtension(stateDir, file, yaml, files = {}) {
  const configDir = path.join(stateDir, 'usr/local/etc/containers');
  fs.mkdirSync(configDir, {recursive: true});
  fs.writeFileSync(path.join(configDir, file), yaml);
  for (const [name, [content, mode]] of Object.entries(files)) {
    const target = path.join(stateDir, 'usr/local/lib/containers', name);
    fs.mkdirSync(path.dirname(target), {recursive: true});
    fs.writeFileSync(target, content, {mode});
  }
}

/** A live process (a zombie has ended: PID 1 here may reap orphans late). */
function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live processes whose process group is `pgid` (from /proc/<pid>/stat: the field after the state). */
function groupMembers(pgid) {
  const members = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // After "pid (comm) ": state, ppid, pgrp, …
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === pgid && state !== 'Z') members.push(Number(entry));
  }
  return members;
}

/** Collects a stream of Data as text from now on; `until(done)` waits (at most `timeoutMs`) for `done(text)`. */
function accumulate(stream) {
  let text = '';
  let failure;
  const waiters = new Set();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  stream.on('data', (data) => {
    text += Buffer.from(data.bytes).toString();
    wake();
  });
  stream.on('error', (error) => {
    failure = error;
    wake();
  });
  return {
    until: (done, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (failure !== undefined) finish(() => reject(failure));
          else if (done(text)) finish(() => resolve(text));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`stream gave only ${JSON.stringify(text)}`))), timeoutMs);
        const finish = (settle) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      }),
  };
}

describe('service API end to end (osd process on 127.44.0.2)', () => {
  let root;
  let cluster;
  let osd;
  let stderr = '';
  let client;
  let reader;
  let state;
  let stateDir;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-services-'));
    cluster = await prepareCluster(root, [['svc-node', ADDRESS, 'controlplane']]);
    stateDir = cluster.stateDirs[0];
    writeExtension(stateDir, '10-hello-world.yaml', [
      'name: hello-world',
      'container:',
      '  entrypoint: ./hello',
      '  args: ["--greet", "world"]',
      '  environment: ["GREETING=hi"]',
      '  mounts: [{source: /var/lib/x, destination: /var/lib/x, type: bind, options: [rbind]}]',
      'depends:',
      '  - network: [addresses]',
      'restart: always',
      'color: blue',
      '',
    ].join('\n'), {
      'hello-world/hello': [
        '#!/bin/sh\necho "hello $2 from $(pwd) with GREETING=$GREETING PATH=$PATH"\ntrap \'echo bye; exit 0\' TERM\nsleep 300 &\nwhile :; do sleep 0.1; done\n',
        0o755,
      ],
    });
    writeExtension(stateDir, '20-oneshot.yaml', 'name: oneshot\ncontainer:\n  entrypoint: /fail\nrestart: never\n', {
      'oneshot/fail': ['#!/bin/sh\necho starting\necho "it broke" >&2\nexit 2\n', 0o755],
    });
    writeExtension(stateDir, '30-escape.yaml', 'name: escape\ncontainer:\n  entrypoint: ./link\nrestart: never\n');
    fs.mkdirSync(path.join(stateDir, 'usr/local/lib/containers/escape'), {recursive: true});
    fs.symlinkSync('/bin/sh', path.join(stateDir, 'usr/local/lib/containers/escape/link'));
    writeExtension(stateDir, '40-dotdot.yaml', 'name: dotdot\ncontainer:\n  entrypoint: ../oneshot/fail\nrestart: never\n');
    fs.mkdirSync(path.join(stateDir, 'usr/local/lib/containers/dotdot'), {recursive: true});
    writeExtension(stateDir, '50-invalid.yaml', 'name: Bad_Name\ncontainer: {}\ndepends:\n  - path: relative/x\n  - {}\n');
    writeExtension(stateDir, '60-duplicate.yaml', 'name: hello-world\ncontainer:\n  entrypoint: ./hello\nrestart: always\n');
    writeExtension(stateDir, '70-waits.yaml', 'name: waits\ncontainer:\n  entrypoint: ./run\ndepends:\n  - path: /var/run/ready\n  - service: ext-oneshot\nrestart: untilSuccess\n', {
      'waits/run': ['#!/bin/sh\nexec sleep 300\n', 0o755],
    });
    writeExtension(stateDir, '80-chatty.yaml', 'name: chatty\ncontainer:\n  entrypoint: ./chatty\n  environment: ["GO=go-signal"]\nrestart: never\n', {
      'chatty/chatty': ['#!/bin/sh\necho ready\nwhile [ ! -e "$GO" ]; do sleep 0.05; done\nhead -c 4000000 /dev/zero | tr "\\000" x\necho\necho done\nexec sleep 300\n', 0o755],
    });
    writeExtension(stateDir, 'ignored.yml', 'name: ignored\n');

    await startOsd();
    client = new MachineClient(`${ADDRESS}:${cluster.port}`, cluster.credentials());
    state = new StateClient(`${ADDRESS}:${cluster.port}`, cluster.credentials());
    const readerCert = await issueClientCert(cluster.ca, {roles: ['os:reader'], ttlMs: DAY});
    reader = new MachineClient(`${ADDRESS}:${cluster.port}`, clientCredentials(cluster.ca, readerCert));
  });

  async function startOsd() {
    stderr = '';
    osd = spawn(process.execPath, [path.join(repo, 'bin/osd.js'), '--state-dir', stateDir, '--address', ADDRESS, '--port', String(cluster.port), '--discovery-dir', cluster.discoveryDir], {stdio: ['ignore', 'pipe', 'pipe']});
    osd.stderr.on('data', (chunk) => (stderr += chunk));
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`osd did not start\n${stderr}`)), 20_000);
      osd.stdout.on('data', (chunk) => String(chunk).includes('osd listening on') && (clearTimeout(timer), resolve()));
      osd.once('exit', (code) => (clearTimeout(timer), reject(new Error(`osd exited with ${code}\n${stderr}`))));
    });
  }

  after(async () => {
    client?.close();
    reader?.close();
    state?.close();
    if (osd !== undefined && osd.exitCode === null && osd.signalCode === null) {
      osd.kill('SIGKILL');
      await new Promise((resolve) => osd.once('exit', resolve));
    }
    // A test that failed half-way may leave osd's services behind: end them as the next osd would.
    if (stateDir !== undefined) await endRecordedProcessGroups(stateDir);
    fs.rmSync(root, {recursive: true, force: true});
  });

  const list = async () => (await unary(client, 'serviceList', {})).messages[0].services;
  const service = async (id) => (await list()).find((candidate) => candidate.id === id);
  const texts = (info) => info.events.events.map((event) => `${event.state}: ${event.msg}`);
  const logs = async (request) =>
    Buffer.concat((await collect(client.logs({namespace: 'system', driver: ContainerDriver.CONTAINERD, follow: false, tailLines: -1, ...request}))).map((data) => data.bytes)).toString();

  it('lists services sorted by id with Talos states, events and health', async () => {
    assert.deepEqual((await list()).map((info) => info.id), ['apid', 'cri', 'ext-chatty', 'ext-dotdot', 'ext-escape', 'ext-hello-world', 'ext-oneshot', 'ext-waits', 'kubelet', 'machined']);
    const hello = await eventually(async () => {
      const info = await service('ext-hello-world');
      assert.equal(info.state, 'Running');
      return info;
    });
    const events = texts(hello);
    assert.deepEqual(events.slice(0, 4), ['Starting: Starting service', 'Waiting: Waiting for network', 'Preparing: Running pre state', 'Preparing: Creating service runner']);
    assert.match(events[4], /^Running: Started task ext-hello-world \(PID \d+\) for container ext-hello-world$/);
    assert.deepEqual([hello.health.unknown, hello.health.healthy, hello.health.lastMessage], [true, false, '']);
    assert.equal(hello.health.lastChange.getTime(), -62135596800 * 1000);

    const apid = await eventually(async () => {
      const info = await service('apid');
      assert.equal(info.health.healthy, true);
      return info;
    }, 8000);
    assert.equal(apid.state, 'Running');
    assert.ok(texts(apid).includes('Running: Service started as goroutine'));
    assert.ok(texts(apid).includes('Running: Health check successful'));
    assert.equal(apid.health.unknown, false);
    assert.ok(apid.health.lastChange.getTime() > Date.now() - 60_000);
    assert.equal((await service('machined')).state, 'Running');

    const oneshot = await eventually(async () => {
      const info = await service('ext-oneshot');
      assert.equal(info.state, 'Failed');
      return info;
    });
    assert.equal(texts(oneshot).at(-1), 'Failed: Failed running service: error running service: task "ext-oneshot" failed: exit code 2 (last log "it broke")');
    for (const id of ['ext-escape', 'ext-dotdot']) {
      const info = await eventually(async () => {
        const candidate = await service(id);
        assert.equal(candidate.state, 'Failed');
        return candidate;
      });
      assert.match(texts(info).at(-1), /^Failed: Failed to run pre stage: entrypoint "\.[./a-z]+" (resolves to \/[^ ]+, outside|is outside) the service rootfs /);
    }
  });

  it('waits for a path inside the state root and for a service, with Talos texts', async () => {
    const waits = await service('ext-waits');
    assert.equal(waits.state, 'Waiting');
    assert.equal(texts(waits)[1], 'Waiting: Waiting for service "ext-oneshot" to be "up", file "/var/run/ready" to exist');
    // ext-oneshot counted as up while its process ran (no health check), as Talos's condition does.
    assert.ok(texts(await service('ext-waits')).includes('Waiting: Waiting for file "/var/run/ready" to exist'));
    fs.mkdirSync(path.join(stateDir, 'var/run'), {recursive: true});
    fs.writeFileSync(path.join(stateDir, 'var/run/ready'), '');
    const running = await eventually(async () => {
      const info = await service('ext-waits');
      assert.equal(info.state, 'Running');
      return info;
    }, 5000);
    assert.deepEqual(texts(running).slice(-3, -1), ['Preparing: Running pre state', 'Preparing: Creating service runner']);
  });

  it('skips invalid and duplicate definitions, logging the file and the field', async () => {
    const controller = await logs({id: 'controller-runtime'});
    assert.match(controller, /extension service file \S+50-invalid\.yaml skipped: name "Bad_Name" is invalid; container endpoint can't be empty; path is not absolute: "relative\/x"; no dependency specified; restart kind is invalid: RestartKind\(0\)/);
    assert.match(controller, /extension service file \S+60-duplicate\.yaml skipped: name "hello-world" is already defined by \S+10-hello-world\.yaml/);
    assert.match(controller, /extension service file \S+10-hello-world\.yaml: unknown key "color" ignored/);
    assert.match(controller, /10-hello-world\.yaml: container\.mounts not applied/);
    assert.ok(!controller.includes('ignored.yml'));
    const osdLog = fs.readFileSync(path.join(stateDir, 'var/log/osd.log'), 'utf8');
    assert.match(osdLog, /50-invalid\.yaml skipped/);
  });

  it('streams ServiceStateEvents: hello first, the tail, then live events', async () => {
    const stream = client.events({tailEvents: -1, tailId: '', tailSeconds: 0, withActorId: ''});
    const received = [];
    stream.on('data', (event) => received.push(event));
    const decoded = () =>
      received.slice(1).map((event) => {
        assert.equal(event.data.typeUrl, 'talos/runtime/machine.ServiceStateEvent');
        return {id: event.id, ...ServiceStateEvent.decode(event.data.value)};
      });
    await eventually(() => assert.ok(decoded().some((event) => event.service === 'ext-hello-world' && event.action === ServiceStateEvent_Action.RUNNING)));
    assert.deepEqual([received[0].id, received[0].data], ['', undefined]);
    const ids = decoded().map((event) => event.id);
    assert.ok(ids.every((id) => /^[0-9a-v]{20}$/.test(id)));
    assert.deepEqual([...ids].sort(), ids);
    const running = decoded().find((event) => event.service === 'ext-hello-world' && event.action === ServiceStateEvent_Action.RUNNING);
    assert.match(running.message, /^Started task ext-hello-world \(PID \d+\) for container ext-hello-world$/);
    assert.equal(running.health.unknown, true);

    await unary(client, 'serviceRestart', {id: 'ext-oneshot'});
    await eventually(() => assert.ok(decoded().some((event) => event.service === 'ext-oneshot' && event.action === ServiceStateEvent_Action.FAILED && event.id > ids.at(-1))));
    stream.on('error', () => {}); // CANCELLED, as asked
    stream.cancel();

    const last = ids.at(-1);
    const after = await new Promise((resolve, reject) => {
      const tailStream = client.events({tailEvents: 0, tailId: last, tailSeconds: 0, withActorId: ''});
      const items = [];
      tailStream.on('data', (event) => items.push(event));
      tailStream.on('error', () => resolve(items));
      setTimeout(() => {
        tailStream.cancel();
      }, 500);
      tailStream.on('end', () => reject(new Error('ended')));
    });
    assert.ok(after.length > 1 && after.slice(1).every((event) => event.id > last));
    await rejectsWith(collect(client.events({tailEvents: 3, tailId: last, tailSeconds: 0, withActorId: ''})), grpc.status.UNKNOWN, "WithTailID can't be specified at the same time with WithTailEvents or WithTailDuration");
    await rejectsWith(collect(client.events({tailEvents: 0, tailId: 'nope', tailSeconds: 0, withActorId: ''})), grpc.status.UNKNOWN, 'error parsing tail_id: xid: invalid ID');
  });

  it('serves service logs: tail, follow in chunks of at most 1024 bytes, machined events', async () => {
    const rootfs = fs.realpathSync(path.join(stateDir, 'usr/local/lib/containers/hello-world'));
    assert.equal(await logs({id: 'ext-hello-world'}), `hello world from ${rootfs} with GREETING=hi PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n`);
    assert.equal(await logs({id: 'ext-hello-world', tailLines: 0}), '');
    assert.match(await logs({id: 'ext-oneshot', tailLines: 1}), /^it broke\n$/);
    // kubelet is always a service log, whatever the namespace; unknown ids are plain errors.
    // (No manifests here: the kubelet log is empty, but it is read without error as a service log.)
    assert.equal(await logs({namespace: 'k8s.io', id: 'kubelet', driver: ContainerDriver.CRI}), '');
    await rejectsWith(collect(client.logs({namespace: 'system', id: 'nope', driver: ContainerDriver.CONTAINERD, tailLines: -1})), grpc.status.UNKNOWN, 'log "nope" was not registered');
    await rejectsWith(collect(client.logs({namespace: '', id: 'x', driver: ContainerDriver.CONTAINERD, tailLines: -1})), grpc.status.INVALID_ARGUMENT, "namespace can't be empty");
    await rejectsWith(collect(client.logs({namespace: 'other', id: 'x', driver: ContainerDriver.CRI, tailLines: -1})), grpc.status.UNKNOWN, 'CRI inspector is supported only for K8s namespace');
    await rejectsWith(collect(client.logs({namespace: 'k8s.io', id: 'ns/pod:c', driver: ContainerDriver.CRI, tailLines: -1})), grpc.status.UNKNOWN, 'container "ns/pod:c" not found');
    await rejectsWith(collect(client.logs({namespace: 'k8s.io', id: 'x', driver: 7, tailLines: -1})), grpc.status.INVALID_ARGUMENT, 'unsupported driver "7"');

    const machined = await logs({id: 'machined'});
    assert.match(machined, /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} service\[ext-hello-world\]\(Running\): Started task ext-hello-world \(PID \d+\)/m);

    const ids = (await unary(reader, 'logsContainers', {})).messages[0].ids;
    for (const id of ['controller-runtime', 'machined', 'ext-hello-world', 'ext-oneshot']) assert.ok(ids.includes(id), id);

    // Follow: the running service's restart adds lines to the same log.
    const follow = client.logs({namespace: 'system', id: 'ext-hello-world', driver: ContainerDriver.CONTAINERD, follow: true, tailLines: 1});
    const followed = accumulate(follow);
    assert.match(await followed.until((text) => text.endsWith('\n')), /^hello world[^\n]*\n$/);
    const restarted = await unary(client, 'serviceRestart', {id: 'ext-hello-world'});
    assert.equal(restarted.messages[0].resp, 'Service "ext-hello-world" restarted');
    // The old run's last words (the shell also reports its killed `sleep`), then the new run's first.
    const more = await followed.until((text) => text.split('hello world').length === 3 && text.endsWith('\n'));
    assert.match(more, /\nbye\nhello world [^\n]+\n$/);
    follow.cancel();
    // A big log arrives in 1024-byte chunks.
    const chunks = await collect(client.logs({namespace: 'system', id: 'machined', driver: ContainerDriver.CONTAINERD, follow: false, tailLines: -1}));
    assert.ok(chunks.length > 1 && chunks.every((data) => data.bytes.length <= 1024));
  });

  it('a follower that stops reading costs a bounded amount: it skips what the ring dropped', async () => {
    const follow = client.logs({namespace: 'system', id: 'ext-chatty', driver: ContainerDriver.CONTAINERD, follow: true, tailLines: -1});
    const followed = accumulate(follow);
    await followed.until((text) => text === 'ready\n');
    follow.pause();
    fs.writeFileSync(path.join(stateDir, 'usr/local/lib/containers/chatty/go-signal'), ''); // in its working directory
    // 4 MB go through the service's 1 MiB ring while the follower reads nothing.
    await eventually(async () => assert.equal(await logs({id: 'ext-chatty', tailLines: 1}), 'done\n'), 10_000);
    follow.resume();
    const text = await followed.until((all) => all.endsWith('done\n'), 10_000);
    follow.on('error', () => {});
    follow.cancel();
    assert.ok(text.length < 4_000_000 - (1 << 20), `received ${text.length} bytes`);
    assert.ok(text.length > 1 << 20, `received ${text.length} bytes`);
  });

  it('start, stop and restart with Talos texts and rules; the Services resources follow', async () => {
    const getResource = (id) => unary(state, 'get', {namespace: 'runtime', type: SERVICES, id});
    const pidOf = async () => Number(/PID (\d+)/.exec(texts(await service('ext-hello-world')).findLast((text) => text.startsWith('Running: Started')))[1]);
    await eventually(async () => assert.equal((await service('ext-hello-world')).state, 'Running'));
    const before = await pidOf();
    assert.ok(alive(before));
    const resource = await eventually(() => getResource('ext-hello-world'));
    assert.match(resource.resource.spec.yamlSpec, /^running: true\nhealthy: false\nunknown: true\n$/);
    assert.ok(await getResource('apid'));

    assert.equal((await unary(client, 'serviceStop', {id: 'ext-hello-world'})).messages[0].resp, 'Service "ext-hello-world" stopped');
    const stopped = await service('ext-hello-world');
    assert.equal(stopped.state, 'Finished');
    assert.deepEqual(texts(stopped).slice(-2), [`Stopping: Sending SIGTERM to task ext-hello-world (PID ${before}, container ext-hello-world)`, 'Finished: Service finished successfully']);
    assert.ok(!alive(before));
    assert.deepEqual(groupMembers(before), []);
    await rejectsWith(getResource('ext-hello-world'), grpc.status.NOT_FOUND, /ext-hello-world/);
    // Stopping a stopped service succeeds; so does starting a running one, even where the API may not.
    assert.equal((await unary(client, 'serviceStop', {id: 'ext-hello-world'})).messages[0].resp, 'Service "ext-hello-world" stopped');
    assert.equal((await unary(client, 'serviceStart', {id: 'apid'})).messages[0].resp, 'Service "apid" started');
    await rejectsWith(unary(client, 'serviceStop', {id: 'apid'}), grpc.status.UNKNOWN, `service "apid" doesn't support stop operation via API`);
    await rejectsWith(unary(client, 'serviceRestart', {id: 'machined'}), grpc.status.UNKNOWN, `service "machined" doesn't support restart operation via API`);
    await rejectsWith(unary(client, 'serviceStart', {id: 'nope'}), grpc.status.UNKNOWN, 'service "nope" not defined');
    await rejectsWith(unary(reader, 'serviceStart', {id: 'ext-hello-world'}), grpc.status.PERMISSION_DENIED, 'not authorized');

    assert.equal((await unary(client, 'serviceStart', {id: 'ext-hello-world'})).messages[0].resp, 'Service "ext-hello-world" started');
    await eventually(async () => assert.equal((await service('ext-hello-world')).state, 'Running'));
    const after = await pidOf();
    assert.notEqual(after, before);
    await eventually(() => getResource('ext-hello-world'));
  });

  it('leaves no child process once osd has stopped', async () => {
    const hello = Number(/PID (\d+)/.exec(texts(await service('ext-hello-world')).findLast((text) => text.startsWith('Running: Started')))[1]);
    const waits = Number(/PID (\d+)/.exec(texts(await service('ext-waits')).findLast((text) => text.startsWith('Running: Started')))[1]);
    const members = [...groupMembers(hello), ...groupMembers(waits)];
    assert.ok(members.length >= 3, `the services and the hello service's sleep: ${members}`);
    const exited = new Promise((resolve) => osd.once('exit', (code, signal) => resolve(code ?? signal)));
    osd.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    for (const pid of members) assert.ok(!alive(pid), `pid ${pid} still alive`);
    assert.deepEqual([...groupMembers(hello), ...groupMembers(waits)], []);
  });

  it('an osd started after a SIGKILLed one ends the service processes that one left running', async () => {
    await startOsd();
    const running = async () => {
      const info = await service('ext-hello-world');
      assert.equal(info.state, 'Running');
      return Number(/PID (\d+)/.exec(texts(info).findLast((text) => text.startsWith('Running: Started')))[1]);
    };
    const leader = await eventually(running);
    // The service's shell and its `sleep 300` (not the short sleeps of its loop, which end anyway).
    const sleeper = await eventually(() => {
      const found = groupMembers(leader).find((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\x00300\x00');
      assert.ok(found !== undefined, 'the sleep 300 of the service');
      return found;
    });
    const members = [leader, sleeper];
    const killed = new Promise((resolve) => osd.once('exit', resolve));
    osd.kill('SIGKILL');
    await killed;
    for (const pid of members) assert.ok(alive(pid), `pid ${pid} outlives a SIGKILLed osd`);

    await startOsd();
    assert.match(stderr, new RegExp(`killed process group ${leader} of service ext-hello-world, left running by an earlier osd`));
    for (const pid of members) assert.ok(!alive(pid), `pid ${pid} still alive`);
    assert.notEqual(await eventually(running), leader);
    const exited = new Promise((resolve) => osd.once('exit', (code, signal) => resolve(code ?? signal)));
    osd.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  });
});
