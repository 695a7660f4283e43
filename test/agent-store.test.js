import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {fillResourceDefinition, singularize} from '../dist/agent/store/definitions.js';
import {ResourceStore, ResourceStoreError} from '../dist/agent/store/store.js';

const RD = 'ResourceDefinitions.meta.cosi.dev';
const NS = 'Namespaces.meta.cosi.dev';

function storeWithWidgets() {
  const store = new ResourceStore();
  store.registerNamespace('test', 'Test resources.');
  store.registerType({type: 'Widgets.test.osd.dev', defaultNamespace: 'test'});
  return store;
}

describe('Fill rules (talos-resources.md §2.1)', () => {
  // [type, explicit aliases, displayType, aliases, allAliases]
  const rows = [
    [RD, ['api-resources'], 'ResourceDefinition', ['api-resources', 'resourcedefinition', 'rd', 'rds'],
      ['resourcedefinitions', 'resourcedefinitions.meta', 'resourcedefinitions.meta.cosi']],
    [NS, ['ns'], 'Namespace', ['ns', 'namespace'], ['namespaces', 'namespaces.meta', 'namespaces.meta.cosi']],
    ['MachineConfigs.config.talos.dev', [], 'MachineConfig', ['machineconfig', 'mc', 'mcs'],
      ['machineconfigs', 'machineconfigs.config', 'machineconfigs.config.talos']],
    ['MachineTypes.config.talos.dev', [], 'MachineType', ['machinetype', 'mt', 'mts'],
      ['machinetypes', 'machinetypes.config', 'machinetypes.config.talos']],
    ['HostnameStatuses.net.talos.dev', ['hostname'], 'HostnameStatus', ['hostname', 'hostnamestatus', 'hs'],
      ['hostnamestatuses', 'hostnamestatuses.net', 'hostnamestatuses.net.talos']],
    ['HostnameSpecs.net.talos.dev', [], 'HostnameSpec', ['hostnamespec', 'hs'],
      ['hostnamespecs', 'hostnamespecs.net', 'hostnamespecs.net.talos']],
    ['Members.cluster.talos.dev', [], 'Member', ['member'], ['members', 'members.cluster', 'members.cluster.talos']],
    ['Identities.cluster.talos.dev', [], 'Identity', ['identity'],
      ['identities', 'identities.cluster', 'identities.cluster.talos']],
    ['Services.v1alpha1.talos.dev', ['svc'], 'Service', ['svc', 'service'],
      ['services', 'services.v1alpha1', 'services.v1alpha1.talos']],
    ['StaticPodStatuses.kubernetes.talos.dev', ['podstatus'], 'StaticPodStatus', ['podstatus', 'staticpodstatus', 'sps'],
      ['staticpodstatuses', 'staticpodstatuses.kubernetes', 'staticpodstatuses.kubernetes.talos']],
    ['NodeAddresses.net.talos.dev', [], 'NodeAddress', ['nodeaddress', 'na', 'nas'],
      ['nodeaddresses', 'nodeaddresses.net', 'nodeaddresses.net.talos']],
    ['ExtensionServiceConfigStatuses.runtime.talos.dev', [], 'ExtensionServiceConfigStatus',
      ['extensionserviceconfigstatus', 'escs'],
      ['extensionserviceconfigstatuses', 'extensionserviceconfigstatuses.runtime', 'extensionserviceconfigstatuses.runtime.talos']],
    ['Versions.runtime.talos.dev', [], 'Version', ['version'], ['versions', 'versions.runtime', 'versions.runtime.talos']],
  ];
  for (const [type, explicit, displayType, aliases, allAliasPrefix] of rows) {
    it(type, () => {
      const spec = fillResourceDefinition({type, defaultNamespace: 'x', aliases: explicit});
      assert.equal(spec.displayType, displayType);
      assert.deepEqual(spec.aliases, aliases);
      assert.deepEqual(spec.allAliases, [...allAliasPrefix, ...aliases]);
    });
  }

  it('marks sensitive types and copies print columns', () => {
    const spec = fillResourceDefinition({
      type: 'MachineConfigs.config.talos.dev',
      defaultNamespace: 'config',
      sensitive: true,
      printColumns: [{name: 'Type', jsonPath: '{@}'}],
    });
    assert.equal(spec.sensitivity, 'sensitive');
    assert.deepEqual(spec.printColumns, [{name: 'Type', jsonPath: '{@}'}]);
    assert.equal('sensitivity' in fillResourceDefinition({type: 'Members.cluster.talos.dev', defaultNamespace: 'c'}), false);
  });

  it('rejects a type that is not <Plural>.<suffix>', () => {
    assert.throws(() => fillResourceDefinition({type: 'members', defaultNamespace: 'x'}), /<PluralCamelName>\.<dotted\.suffix>/);
    assert.throws(() => fillResourceDefinition({type: 'Members.cluster', defaultNamespace: 'x'}), /must look like/);
  });

  it('singularizes English plurals', () => {
    assert.equal(singularize('Addresses'), 'Address');
    assert.equal(singularize('Policies'), 'Policy');
    assert.equal(singularize('Processes'), 'Process');
    assert.equal(singularize('Statuses'), 'Status');
  });
});

describe('ResourceStore', () => {
  it('publishes ResourceDefinitions and Namespaces as resources', () => {
    const store = storeWithWidgets();
    const rd = store.get({namespace: 'meta', type: RD, id: 'widgets.test.osd.dev'});
    assert.equal(rd.spec.type, 'Widgets.test.osd.dev');
    assert.equal(rd.spec.displayType, 'Widget');
    assert.deepEqual(
      store.list('meta', RD).map((r) => r.metadata.id),
      ['namespaces.meta.cosi.dev', 'resourcedefinitions.meta.cosi.dev', 'widgets.test.osd.dev'],
    );
    assert.deepEqual(store.list('meta', NS).map((r) => [r.metadata.id, r.spec.description]), [
      ['meta', 'Metadata namespace which contains resource and namespace definitions.'],
      ['test', 'Test resources.'],
    ]);
    assert.equal(
      store.yamlSpec(store.get({namespace: 'meta', type: RD, id: 'resourcedefinitions.meta.cosi.dev'})),
      [
        'type: ResourceDefinitions.meta.cosi.dev',
        'displayType: ResourceDefinition',
        'defaultNamespace: meta',
        'aliases:',
        '    - api-resources',
        '    - resourcedefinition',
        '    - rd',
        '    - rds',
        'allAliases:',
        '    - resourcedefinitions',
        '    - resourcedefinitions.meta',
        '    - resourcedefinitions.meta.cosi',
        '    - api-resources',
        '    - resourcedefinition',
        '    - rd',
        '    - rds',
        'printColumns:',
        '    - name: Aliases',
        "      jsonPath: '{.aliases[:]}'",
        '',
      ].join('\n'),
    );
    assert.match(store.yamlSpec(store.get({namespace: 'meta', type: RD, id: 'widgets.test.osd.dev'})), /^printColumns: \[\]$/m);
    // COSI's registries own the meta resources.
    assert.deepEqual([...new Set([...store.list('meta', RD), ...store.list('meta', NS)].map((r) => r.metadata.owner))], ['meta']);
  });

  it('versions resources: 1 on create, +1 only when spec, labels or annotations change', () => {
    const store = storeWithWidgets();
    const first = store.put({type: 'Widgets.test.osd.dev', id: 'a', owner: 'test.Controller', spec: {size: 1}});
    assert.equal(first.metadata.version, 1);
    assert.equal(first.metadata.namespace, 'test');
    assert.equal(first.metadata.phase, 'running');
    assert.equal(first.metadata.owner, 'test.Controller');

    const same = store.put({type: 'Widgets.test.osd.dev', id: 'a', owner: 'test.Controller', spec: {size: 1}});
    assert.equal(same, first);

    const changed = store.put({type: 'Widgets.test.osd.dev', id: 'a', owner: 'test.Controller', spec: {size: 2}});
    assert.equal(changed.metadata.version, 2);
    assert.equal(changed.metadata.created, first.metadata.created);
    assert.equal(first.spec.size, 1, 'old snapshots stay unchanged');

    const labelled = store.put({
      type: 'Widgets.test.osd.dev', id: 'a', owner: 'test.Controller', spec: {size: 2}, labels: {color: 'red'},
    });
    assert.equal(labelled.metadata.version, 3);
    assert.deepEqual(labelled.metadata.labels, {color: 'red'});
  });

  it('refuses writes by another owner, unknown types and unknown namespaces', () => {
    const store = storeWithWidgets();
    store.put({type: 'Widgets.test.osd.dev', id: 'a', owner: 'one', spec: {}});
    assert.throws(() => store.put({type: 'Widgets.test.osd.dev', id: 'a', owner: 'two', spec: {}}), (error) =>
      error instanceof ResourceStoreError && error.reason === 'owner-conflict');
    assert.throws(() => store.destroy({namespace: 'test', type: 'Widgets.test.osd.dev', id: 'a'}), /owned by "one"/);
    assert.throws(() => store.put({type: 'Gadgets.test.osd.dev', id: 'a', spec: {}}), /resource type "Gadgets.test.osd.dev" is not registered/);
    assert.throws(() => store.put({type: 'Widgets.test.osd.dev', namespace: 'nope', id: 'a', spec: {}}), /namespace "nope" is not registered/);
  });

  it('kind watch: bootstrap contents in id order, BOOTSTRAPPED tombstone, then live events until unsubscribed', () => {
    const store = storeWithWidgets();
    store.put({type: 'Widgets.test.osd.dev', id: 'b', spec: {n: 2}});
    store.put({type: 'Widgets.test.osd.dev', id: 'a', spec: {n: 1}});
    const events = [];
    const stop = store.watchKind('test', 'Widgets.test.osd.dev', {bootstrapContents: true}, (e) => events.push(e));
    assert.deepEqual(events.map((e) => [e.type, e.resource.metadata?.id]), [['created', 'a'], ['created', 'b'], ['bootstrapped', undefined]]);
    assert.deepEqual(events[2].resource.tombstone, {namespace: 'test', type: 'Widgets.test.osd.dev', id: ''});

    store.put({type: 'Widgets.test.osd.dev', id: 'a', spec: {n: 10}});
    store.destroy({namespace: 'test', type: 'Widgets.test.osd.dev', id: 'b'});
    store.put({type: 'Widgets.test.osd.dev', id: 'c', spec: {}});
    const live = events.slice(3);
    assert.deepEqual(live.map((e) => [e.type, e.resource.metadata.id]), [['updated', 'a'], ['destroyed', 'b'], ['created', 'c']]);
    assert.equal(live[0].old.spec.n, 1);
    assert.equal(live[0].resource.spec.n, 10);

    stop();
    store.put({type: 'Widgets.test.osd.dev', id: 'd', spec: {}});
    assert.equal(events.length, 6);
  });

  it('kind watch without bootstrap sends only live events, filtered', () => {
    const store = storeWithWidgets();
    store.put({type: 'Widgets.test.osd.dev', id: 'a', spec: {}});
    const events = [];
    store.watchKind('test', 'Widgets.test.osd.dev', {filter: (r) => r.metadata.id !== 'skip'}, (e) => events.push(e));
    store.put({type: 'Widgets.test.osd.dev', id: 'skip', spec: {}});
    store.put({type: 'Widgets.test.osd.dev', id: 'b', spec: {}});
    assert.deepEqual(events.map((e) => [e.type, e.resource.metadata.id]), [['created', 'b']]);
  });

  it('single-resource watch starts with the current state', () => {
    const store = storeWithWidgets();
    const pointer = {namespace: 'test', type: 'Widgets.test.osd.dev', id: 'a'};
    const events = [];
    const stop = store.watch(pointer, (e) => events.push(e));
    assert.equal(events[0].type, 'destroyed');
    assert.deepEqual(events[0].resource.tombstone, pointer);

    store.put({type: 'Widgets.test.osd.dev', id: 'other', spec: {}});
    store.put({type: 'Widgets.test.osd.dev', id: 'a', spec: {v: 1}});
    store.put({type: 'Widgets.test.osd.dev', id: 'a', spec: {v: 2}});
    store.destroy(pointer);
    assert.deepEqual(events.slice(1).map((e) => e.type), ['created', 'updated', 'destroyed']);

    const existing = [];
    store.put({type: 'Widgets.test.osd.dev', id: 'a', spec: {v: 3}});
    store.watch(pointer, (e) => existing.push(e));
    assert.equal(existing[0].type, 'created');
    assert.equal(existing[0].resource.spec.v, 3);

    assert.equal(events.length, 5, 'the first watcher saw the re-creation');
    stop();
    store.destroy(pointer);
    assert.equal(events.length, 5);
    assert.deepEqual(existing.map((e) => e.type), ['created', 'destroyed']);
  });

  it('renders yaml_spec and proto_spec through the type definition', () => {
    const store = new ResourceStore({namespaceProtoSpec: (spec) => new TextEncoder().encode(spec.description)});
    store.registerNamespace('config', 'Talos node configuration.');
    store.registerType({
      type: 'MachineTypes.config.talos.dev',
      defaultNamespace: 'config',
      yamlSpec: (spec) => `${spec}\n`,
      protoSpec: () => Uint8Array.of(8, 2),
    });
    const machineType = store.put({type: 'MachineTypes.config.talos.dev', id: 'machine-type', spec: 'controlplane'});
    assert.equal(store.yamlSpec(machineType), 'controlplane\n');
    assert.deepEqual(store.protoSpec(machineType), Uint8Array.of(8, 2));
    const ns = store.get({namespace: 'meta', type: NS, id: 'config'});
    assert.equal(store.yamlSpec(ns), 'description: Talos node configuration.\n');
    assert.equal(new TextDecoder().decode(store.protoSpec(ns)), 'Talos node configuration.');
    assert.equal(store.protoSpec(store.get({namespace: 'meta', type: RD, id: 'machinetypes.config.talos.dev'})).length, 0);
  });
});
