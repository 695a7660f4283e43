// osctl health's checks against an in-process fake of the node API (the etcd methods are answered
// by the fake until the etcd service lands): Talos's texts for each failure, the reporter's lines,
// the order of the checks, and the limit.
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {HEALTH_CHECKS, HealthReporter, multiError, runChecks} from '../dist/cli/health.js';

const CP = ['127.65.2.2', '127.65.2.3', '127.65.2.4'];
const WORKER = '127.65.2.5';
const cluster = {init: [], controlplane: CP, worker: [WORKER]};

function service(id, state, {healthy = true, unknown = false, msg = 'Health check successful'} = {}) {
  return {id, state, events: {events: [{msg: 'Starting', state: 'Starting'}, {msg, state}]}, health: {unknown, healthy, lastMessage: ''}};
}

const member = (id, address, isLearner = false) => ({id, hostname: `cp-${address}`, peerUrls: [`https://${address}:2380`], clientUrls: [`https://${address}:2379`], isLearner});
const MEMBERS = [member(0x1an, CP[0]), member(0x2bn, CP[1]), member(0x3cn, CP[2])];

/** A node API: per node, its services and etcd members; `down` nodes fail every call. */
function fakeClient({services = {}, members = {}, down = []} = {}) {
  return {
    async unary(method, _request, node) {
      if (down.includes(node)) throw new Error('rpc error: code = Unavailable desc = connection refused');
      switch (method.path) {
        case '/machine.MachineService/ServiceList':
          return {messages: [{services: services[node] ?? [service('apid', 'Running', {unknown: true}), service('machined', 'Running', {unknown: true})]}]};
        case '/machine.MachineService/EtcdMemberList':
          return {messages: [{members: members[node] ?? MEMBERS, legacyMembers: []}]};
        case '/machine.MachineService/Version':
          return {messages: [{}]};
        default:
          throw new Error(`unexpected ${method.path}`);
      }
    },
  };
}

const check = (name) => HEALTH_CHECKS.find((c) => c.name === name);

const healthyServices = () => Object.fromEntries(
  [...CP, WORKER].map((node) => [node, [service('etcd', 'Running'), service('kubelet', 'Running', {unknown: true, healthy: false}), service('machined', 'Running', {unknown: true})]]),
);

describe('health checks', () => {
  it('run in talosctl\'s order, with its names', () => {
    assert.deepEqual(HEALTH_CHECKS.map((c) => c.name), [
      'etcd to be healthy',
      'etcd members to be consistent across nodes',
      'etcd members to be control plane nodes',
      'apid to be ready',
      'kubelet to be healthy',
    ]);
  });

  it('pass on a healthy cluster; the reporter writes `...` then `OK` for each', async () => {
    let text = '';
    await runChecks(fakeClient({services: healthyServices()}), cluster, HEALTH_CHECKS, 5000, new HealthReporter({write: (t) => (text += t)}), '5s');
    assert.equal(text, HEALTH_CHECKS.map((c) => `waiting for ${c.name}: ...\nwaiting for ${c.name}: OK\n`).join(''));
  });

  it('etcd to be healthy: Talos\'s texts per node, sorted, as a multierror', async () => {
    const services = healthyServices();
    services[CP[2]] = [service('etcd', 'Preparing', {healthy: false, msg: 'Running pre state'})];
    services[CP[1]] = [service('etcd', 'Running', {healthy: false})];
    await assert.rejects(check('etcd to be healthy').assert(fakeClient({services}), cluster), {
      message: multiError([
        `${CP[1]}: service is not healthy: etcd`,
        `${CP[2]}: service "etcd" not in expected state "Running": current state [Preparing] Running pre state`,
      ]),
    });
    // Not checked yet (health unknown) is not healthy for etcd, which has a health check.
    services[CP[1]] = [service('etcd', 'Running', {unknown: true, healthy: false})];
    services[CP[2]] = [service('etcd', 'Running')];
    await assert.rejects(check('etcd to be healthy').assert(fakeClient({services}), cluster), {message: multiError([`${CP[1]}: service is not healthy: etcd`])});
    services[CP[1]] = [];
    await assert.rejects(check('etcd to be healthy').assert(fakeClient({services}), cluster), {message: 'expected a response with 3 node(s), got 2'});
    await assert.rejects(check('etcd to be healthy').assert(fakeClient({down: [CP[0]]}), cluster), {
      message: `error getting service info for service "etcd" from node "${CP[0]}": rpc error: code = Unavailable desc = connection refused`,
    });
  });

  it('etcd members consistent: a missing, an unexpected member, a learner mismatch, fewer members than control planes', async () => {
    const consistent = check('etcd members to be consistent across nodes').assert;
    await consistent(fakeClient(), cluster);
    await assert.rejects(consistent(fakeClient({members: {[CP[1]]: MEMBERS.slice(0, 2)}}), cluster), {
      message: `${CP[1]}: expected to have members [000000000000001a 000000000000002b 000000000000003c], got [000000000000001a 000000000000002b]`,
    });
    await assert.rejects(consistent(fakeClient({members: {[CP[2]]: [MEMBERS[0], MEMBERS[1], member(0xffn, '127.65.2.9')]}}), cluster), {
      message: `${CP[2]}: found unexpected etcd member 00000000000000ff (hostname "cp-127.65.2.9")`,
    });
    await assert.rejects(consistent(fakeClient({members: {[CP[1]]: [MEMBERS[0], MEMBERS[1], {...MEMBERS[2], isLearner: true}]}}), cluster), {
      message: `${CP[1]}: etcd member 000000000000003c learner status mismatch: expected false, got true`,
    });
    const two = Object.fromEntries(CP.map((node) => [node, MEMBERS.slice(0, 2)]));
    await assert.rejects(consistent(fakeClient({members: two}), cluster), {message: 'expected 3 etcd member(s), one per control plane node, got 2'});
    await assert.rejects(consistent(fakeClient({down: [CP[1]]}), cluster), {message: new RegExp(`^error getting etcd member list from node "${CP[1]}": `)});
  });

  it('etcd members are control planes: a member on a worker is named', async () => {
    const onControlPlanes = check('etcd members to be control plane nodes').assert;
    await onControlPlanes(fakeClient(), cluster);
    const members = {[CP[0]]: [MEMBERS[0], member(0x4dn, WORKER)]};
    await assert.rejects(onControlPlanes(fakeClient({members}), cluster), {
      message: `etcd member ips ["${CP[0]}" "${WORKER}"] are not subset of control plane node ips ["${CP[0]}" "${CP[1]}" "${CP[2]}"]`,
    });
  });

  it('apid ready: every node, workers included, must answer', async () => {
    const apid = check('apid to be ready').assert;
    await apid(fakeClient(), cluster);
    await assert.rejects(apid(fakeClient({down: [WORKER]}), cluster), {message: multiError([`${WORKER}: rpc error: code = Unavailable desc = connection refused`])});
  });

  it('kubelet healthy: Running with no health check counts; a stopped kubelet does not', async () => {
    const kubelet = check('kubelet to be healthy').assert;
    await kubelet(fakeClient({services: healthyServices()}), cluster);
    const services = healthyServices();
    services[CP[0]] = [service('kubelet', 'Finished', {unknown: true, msg: 'Service finished successfully'})];
    await assert.rejects(kubelet(fakeClient({services}), cluster), {
      message: multiError([`${CP[0]}: service "kubelet" not in expected state "Running": current state [Finished] Service finished successfully`]),
    });
  });

  it('a check that does not pass in time fails with its last error; each change is one line', async () => {
    let text = '';
    const started = Date.now();
    await assert.rejects(
      runChecks(fakeClient({down: [WORKER]}), cluster, [check('apid to be ready')], 1500, new HealthReporter({write: (t) => (text += t)}), '1.5s'),
      {message: `health check "apid to be ready" did not pass within --wait-timeout 1.5s: 1 error occurred:\n\t* ${WORKER}: rpc error: code = Unavailable desc = connection refused`},
    );
    assert.ok(Date.now() - started < 3000);
    assert.equal(text, `waiting for apid to be ready: ...\nwaiting for apid to be ready: 1 error occurred:\n\t* ${WORKER}: rpc error: code = Unavailable desc = connection refused\n`);
  });

  it('multiError is go-multierror\'s text', () => {
    assert.equal(multiError(['a']), '1 error occurred:\n\t* a\n\n');
    assert.equal(multiError(['a', 'b']), '2 errors occurred:\n\t* a\n\t* b\n\n');
  });
});
