// The resource types of issue 6 (Services, StaticPods, StaticPodStatuses) as Talos declares and
// renders them, the Restart method's roles, and yaml.v3's Go map key order. No processes.
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {
  createNodeStore,
  SERVICE_TYPE,
  STATIC_POD_STATUS_TYPE,
  STATIC_POD_TYPE,
} from '../dist/agent/controllers/resource-types.js';
import {isAuthorized} from '../dist/agent/server/roles.js';
import {StaticPodSpec, StaticPodStatusSpec} from '../dist/machinery/api/resource/definitions/k8s/k8s.js';
import {ServiceSpec} from '../dist/machinery/api/resource/definitions/v1alpha1/v1alpha1.js';
import {RestartRequest, RestartResponse} from '../dist/machinery/api/machine/machine.js';
import {ContainerDriver} from '../dist/machinery/api/common/common.js';
import {inGoMapOrder, toGoYaml} from '../dist/machinery/yaml-emit.js';

const RD = 'ResourceDefinitions.meta.cosi.dev';

function definition(store, type) {
  const resource = store.get({namespace: 'meta', type: RD, id: type.toLowerCase()});
  assert.ok(resource, `${type} is registered`);
  return resource.spec;
}

describe('issue 6 resource definitions', () => {
  const store = createNodeStore();

  it('declares Services as Talos does', () => {
    const spec = definition(store, SERVICE_TYPE);
    assert.equal(spec.displayType, 'Service');
    assert.equal(spec.defaultNamespace, 'runtime');
    assert.deepEqual(spec.aliases, ['svc', 'service']);
    assert.deepEqual(spec.allAliases, ['services', 'services.v1alpha1', 'services.v1alpha1.talos', 'svc', 'service']);
    assert.deepEqual(spec.printColumns, [
      {name: 'Running', jsonPath: '{.running}'},
      {name: 'Healthy', jsonPath: '{.healthy}'},
      {name: 'Health Unknown', jsonPath: '{.unknown}'},
    ]);
    assert.equal(spec.sensitivity, undefined);
  });

  it('declares StaticPods and StaticPodStatuses as Talos does', () => {
    const pods = definition(store, STATIC_POD_TYPE);
    assert.equal(pods.displayType, 'StaticPod');
    assert.equal(pods.defaultNamespace, 'k8s');
    assert.deepEqual(pods.aliases, ['staticpod', 'sp', 'sps']);
    assert.deepEqual(pods.printColumns, []);
    const statuses = definition(store, STATIC_POD_STATUS_TYPE);
    assert.equal(statuses.displayType, 'StaticPodStatus');
    assert.equal(statuses.defaultNamespace, 'k8s');
    assert.deepEqual(statuses.aliases, ['podstatus', 'staticpodstatus', 'sps']);
    assert.deepEqual(statuses.allAliases, [
      'staticpodstatuses',
      'staticpodstatuses.kubernetes',
      'staticpodstatuses.kubernetes.talos',
      'podstatus',
      'staticpodstatus',
      'sps',
    ]);
    assert.deepEqual(statuses.printColumns, [{name: 'Ready', jsonPath: '{.conditions[?(@.type=="Ready")].status}'}]);
  });

  it('has the runtime and k8s namespaces', () => {
    assert.ok(store.hasNamespace('runtime'));
    assert.ok(store.hasNamespace('k8s'));
  });
});

describe('issue 6 resource specs', () => {
  it('renders a Service in Go field order, with the ServiceSpec proto', () => {
    const store = createNodeStore();
    // Built in another order on purpose: the YAML follows the Go struct, not the object.
    const resource = store.put({type: SERVICE_TYPE, id: 'etcd', spec: {unknown: false, healthy: true, running: true}});
    assert.equal(resource.metadata.namespace, 'runtime');
    assert.equal(store.yamlSpec(resource), 'running: true\nhealthy: true\nunknown: false\n');
    assert.deepEqual(ServiceSpec.decode(store.protoSpec(resource)), {running: true, healthy: true, unknown: false});
    const unknownHealth = store.put({type: SERVICE_TYPE, id: 'apid', spec: {running: true, healthy: false, unknown: true}});
    assert.deepEqual(ServiceSpec.decode(store.protoSpec(unknownHealth)), {running: true, healthy: false, unknown: true});
  });

  it('renders a StaticPod as the pod object itself, keys in Go map order, with a Struct proto', () => {
    const store = createNodeStore();
    const pod = {
      spec: {containers: [{name: 'nginx', image: 'nginx:1.27', ports: [{containerPort: 80}], command: ['nginx']}]},
      metadata: {namespace: 'kube-system', name: 'nginx', labels: {tier: 'web', app: 'nginx'}},
      kind: 'Pod',
      apiVersion: 'v1',
    };
    const resource = store.put({type: STATIC_POD_TYPE, id: 'kube-system-nginx', spec: pod});
    assert.equal(resource.metadata.namespace, 'k8s');
    assert.equal(
      store.yamlSpec(resource),
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        '    labels:',
        '        app: nginx',
        '        tier: web',
        '    name: nginx',
        '    namespace: kube-system',
        'spec:',
        '    containers:',
        '        - command:',
        '            - nginx',
        '          image: nginx:1.27',
        '          name: nginx',
        '          ports:',
        '            - containerPort: 80',
        '',
      ].join('\n'),
    );
    const decoded = StaticPodSpec.decode(store.protoSpec(resource));
    assert.deepEqual(decoded.pod, pod);
    // No wrapper: the first field of the message is the Struct itself.
    assert.equal(store.protoSpec(resource)[0], (1 << 3) | 2);
  });

  it('renders a StaticPodStatus as the PodStatus object itself, with a Struct proto', () => {
    const store = createNodeStore();
    const podStatus = {
      phase: 'Running',
      podIP: '127.45.0.1',
      conditions: [{type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-05-02T08:14:03Z'}],
      hostIP: '127.45.0.1',
    };
    const resource = store.put({type: STATIC_POD_STATUS_TYPE, id: 'kube-system/nginx-node-1', spec: podStatus});
    assert.equal(
      store.yamlSpec(resource),
      [
        'conditions:',
        '    - lastProbeTime: null',
        '      lastTransitionTime: "2026-05-02T08:14:03Z"',
        '      status: "True"',
        '      type: Ready',
        'hostIP: 127.45.0.1',
        'phase: Running',
        'podIP: 127.45.0.1',
        '',
      ].join('\n'),
    );
    assert.deepEqual(StaticPodStatusSpec.decode(store.protoSpec(resource)).podStatus, podStatus);
  });
});

describe('yaml.v3 Go map key order', () => {
  it('puts non-letters before letters, compares digit runs as numbers', () => {
    const keys = ['item10', 'ab', 'item9', 'aB', 'a_b', 'v01', 'v1', 'a', 'x1y', 'x1_'];
    assert.deepEqual(Object.keys(inGoMapOrder(Object.fromEntries(keys.map((key) => [key, 1])))), [
      'a',
      'a_b',
      'aB',
      'ab',
      'item9',
      'item10',
      'v1',
      'v01',
      // After a digit a letter sorts first.
      'x1y',
      'x1_',
    ]);
  });

  it('reorders nested mappings and leaves sequences in place', () => {
    assert.equal(toGoYaml(inGoMapOrder({b: [{d: 1, c: 2}], a: {z: 1, y: 2}})), 'a:\n    "y": 2\n    z: 1\nb:\n    - c: 2\n      d: 1\n');
  });
});

describe('machine.MachineService/Restart', () => {
  it('is allowed to os:admin and os:operator only', () => {
    const method = '/machine.MachineService/Restart';
    assert.ok(isAuthorized(method, ['os:admin']));
    assert.ok(isAuthorized(method, ['os:operator']));
    assert.ok(!isAuthorized(method, ['os:reader']));
    assert.ok(!isAuthorized(method, ['os:etcd:backup']));
  });

  it('has the Talos request fields', () => {
    const bytes = RestartRequest.encode({namespace: 'k8s.io', id: 'kube-system/nginx:nginx', driver: ContainerDriver.CRI}).finish();
    // namespace = 1, id = 2, driver = 3 (varint).
    assert.deepEqual([bytes[0], bytes[8], bytes.at(-2)], [(1 << 3) | 2, (2 << 3) | 2, 3 << 3]);
    assert.deepEqual(RestartRequest.decode(bytes), {namespace: 'k8s.io', id: 'kube-system/nginx:nginx', driver: ContainerDriver.CRI});
    assert.equal(RestartResponse.decode(RestartResponse.encode({messages: [{}]}).finish()).messages.length, 1);
  });
});
