// Reboot, Reset and Shutdown at the API of a real osd process on 127.65.3.x: the answer carries a
// UUID actor id, the events of the action carry it, who may call what, one action at a time, a
// signal during a reboot still stops osd cleanly, and Shutdown by an operator ends the process.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {MachineStatusEvent, MachineStatusEvent_MachineStage, SequenceEvent, SequenceEvent_Action, ServiceStateEvent, ServiceStateEvent_Action} from '../dist/machinery/api/machine/machine.js';
import {issueClientCert} from '../dist/machinery/pki.js';
import {clientCredentials, DAY, eventually, MachineClient, rejectsWith, unary} from './helpers/agents.js';
import {startCluster} from './helpers/osd-processes.js';

process.noDeprecation = true; // DEP0123: grpc-js passes IP targets as the TLS server name.

const ADDRESS = '127.65.3.2';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let root;
let cluster;
let admin;
let operator;
let reader;

const resetRequest = (fields) => ({graceful: false, reboot: false, systemPartitionsToWipe: [], userDisksToWipe: [], mode: 0, ...fields});

function osdProcess() {
  return cluster.nodes[0].process;
}

/** Every event of a stream opened now, until the node's API stops (the stream then breaks off). */
function eventsUntilDown(client) {
  const stream = client.events({tailEvents: 0, tailId: '', tailSeconds: 0, withActorId: ''});
  const events = [];
  const ended = new Promise((resolve) => {
    stream.on('data', (event) => events.push(event));
    stream.on('error', () => resolve(events));
    stream.on('end', () => resolve(events));
  });
  return {ended, opened: new Promise((resolve) => stream.once('data', resolve))};
}

/** When the node's runtime started (machined's first event) and whether machined runs. */
async function runtime() {
  const machined = (await unary(admin, 'serviceList', {})).messages[0].services.find((s) => s.id === 'machined');
  return {started: machined?.events.events[0]?.ts?.getTime(), running: machined?.state === 'Running'};
}

/** Resolves once a runtime other than the one that started at `before` runs. */
async function restartedSince(before) {
  await eventually(async () => {
    const now = await runtime();
    assert.ok(now.running && now.started !== before, 'not restarted yet');
  }, 15_000, 100);
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-lifecycle-'));
  cluster = await startCluster(root, [['lifecycle-1', ADDRESS, 'controlplane']]);
  const target = `${ADDRESS}:${cluster.port}`;
  admin = new MachineClient(target, cluster.credentials());
  operator = new MachineClient(target, clientCredentials(cluster.ca, await issueClientCert(cluster.ca, {roles: ['os:operator'], ttlMs: DAY})));
  reader = new MachineClient(target, clientCredentials(cluster.ca, await issueClientCert(cluster.ca, {roles: ['os:reader'], ttlMs: DAY})));
});

after(async () => {
  for (const each of [admin, operator, reader]) each?.close();
  await cluster?.stop();
  fs.rmSync(root, {recursive: true, force: true});
});

describe('lifecycle methods on osd', () => {
  it('Reboot answers at once with a UUID actor id; the sequence, status and service events of the stop carry it', async () => {
    const before = (await runtime()).started;
    const watch = eventsUntilDown(admin);
    await watch.opened;
    const response = await unary(admin, 'reboot', {mode: 2});
    const actorId = response.messages[0].actorId;
    assert.match(actorId, UUID);
    const events = await watch.ended;
    const ofType = (name) => events.filter((e) => e.data?.typeUrl === `talos/runtime/machine.${name}`);
    const [sequence] = ofType('SequenceEvent');
    assert.deepEqual(SequenceEvent.decode(sequence.data.value), {sequence: 'reboot', action: SequenceEvent_Action.START, error: undefined});
    assert.equal(sequence.actorId, actorId);
    const [status] = ofType('MachineStatusEvent');
    assert.equal(MachineStatusEvent.decode(status.data.value).stage, MachineStatusEvent_MachineStage.REBOOTING);
    const stops = ofType('ServiceStateEvent').filter((e) => ServiceStateEvent.decode(e.data.value).action === ServiceStateEvent_Action.STOPPING);
    assert.ok(stops.length > 0, 'services stopped while the stream was open');
    for (const stop of stops) assert.equal(stop.actorId, actorId);
    // The API answers again, from the same process.
    await restartedSince(before);
    assert.equal(osdProcess().exitCode, null);
  });

  it('who may call: Reboot and Shutdown need os:admin or os:operator, Reset os:admin', async () => {
    await rejectsWith(unary(reader, 'reboot', {mode: 0}), grpc.status.PERMISSION_DENIED, 'not authorized');
    await rejectsWith(unary(reader, 'shutdown', {force: false}), grpc.status.PERMISSION_DENIED, 'not authorized');
    await rejectsWith(unary(operator, 'reset', resetRequest({reboot: true})), grpc.status.PERMISSION_DENIED, 'not authorized');
  });

  it('one action at a time: a second while a reboot runs is refused with FailedPrecondition', async () => {
    const before = (await runtime()).started;
    // Two calls on one connection in the same tick: the second reaches the node before the first action has ended.
    const [first, second] = await Promise.allSettled([unary(admin, 'reboot', {mode: 0}), unary(admin, 'reset', resetRequest({reboot: false}))]);
    assert.equal(first.status, 'fulfilled');
    assert.equal(second.status, 'rejected');
    assert.equal(second.reason.code, grpc.status.FAILED_PRECONDITION);
    assert.match(second.reason.details, /^reset is not possible now: the node is already rebooting \(actor [0-9a-f-]{36}\)$/);
    await restartedSince(before);
  });

  it('Shutdown by an operator stops every service and ends osd with exit code 0', async () => {
    const exited = new Promise((resolve) => osdProcess().once('exit', (code, signal) => resolve({code, signal})));
    // A new channel: the one from before the reboots may still be in its reconnect back-off.
    const fresh = new MachineClient(`${ADDRESS}:${cluster.port}`, clientCredentials(cluster.ca, await issueClientCert(cluster.ca, {roles: ['os:operator'], ttlMs: DAY})));
    let response;
    try {
      response = await unary(fresh, 'shutdown', {force: true});
    } finally {
      fresh.close();
    }
    assert.match(response.messages[0].actorId, UUID);
    assert.deepEqual(await exited, {code: 0, signal: null});
    const log = fs.readFileSync(path.join(cluster.stateDirs[0], 'var/log/osd.log'), 'utf8');
    assert.match(log, /shutdown \(actor [0-9a-f-]{36}\): stopped\n$/);
  });
});
