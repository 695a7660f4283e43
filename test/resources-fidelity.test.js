// Resources as real Talos serves them: the Go-style YAML emitter checked against gopkg.in/yaml.v3
// output, the controllers' specs and owners, and a real osd (on 127.37.0.0/16) read over the wire:
// yaml_spec byte for byte and proto_spec decoded with the generated messages.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {publishHostname} from '../dist/agent/controllers/hostname.js';
import {publishIdentity} from '../dist/agent/controllers/identity.js';
import {createNodeStore} from '../dist/agent/controllers/resource-types.js';
import {publishVersion} from '../dist/agent/controllers/version.js';
import {IdentitySpec, MemberSpec} from '../dist/machinery/api/resource/definitions/cluster/cluster.js';
import {HostnameSpecSpec} from '../dist/machinery/api/resource/definitions/network/network.js';
import {VersionSpec} from '../dist/machinery/api/resource/definitions/runtime/runtime.js';
import {NamespaceSpec, ResourceDefinitionSpec} from '../dist/machinery/api/v1alpha1/meta.js';
import {generateCA, issueClientCert} from '../dist/machinery/pki.js';
import {resolveGoScalar, toGoYaml, UntaggedScalar} from '../dist/machinery/yaml-emit.js';
import {clientCredentials, DAY, eventually, freePort, makeStateDir, osdProcess, StateClient} from './helpers/agents.js';

process.noDeprecation = true; // DEP0123: grpc-js passes IP targets as the TLS server name.

const repo = path.resolve(import.meta.dirname, '..');
const packageVersion = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).version;
const RD = 'ResourceDefinitions.meta.cosi.dev';
const NS = 'Namespaces.meta.cosi.dev';

describe('Go-style YAML emitter (gopkg.in/yaml.v3 Marshal)', () => {
  // Each pair is Go's output for the same value (yaml.v3's own marshal tests and Talos's output).
  const cases = [
    ['null at the top', null, 'null\n'],
    ['a scalar at the top', 123, '123\n'],
    ['an empty mapping', {}, '{}\n'],
    ['a nested mapping, 4 spaces', {a: {b: 'c'}}, 'a:\n    b: c\n'],
    ['an omitted (undefined) field', {a: 1, b: undefined}, 'a: 1\n'],
    ['nil', {v: null}, 'v: null\n'],
    ['booleans and numbers', {t: true, f: false, i: 10, m: -10, x: 0.1, z: -0.1, big: 1e21, small: 1e-7}, 't: true\nf: false\ni: 10\nm: -10\nx: 0.1\nz: -0.1\nbig: 1e+21\nsmall: 1e-07\n'],
    ['keys that are YAML 1.1 booleans', {y: 1, n: 2, on: 3}, '"y": 1\n"n": 2\n"on": 3\n'],
    ['special floats', {a: Infinity, b: -Infinity, c: NaN}, 'a: .inf\nb: -.inf\nc: .nan\n'],
    ['a uint64', {v: 18446744073709551615n}, 'v: 18446744073709551615\n'],
    ['a time', {a: new Date(Date.UTC(2015, 1, 24, 18, 19, 39))}, 'a: 2015-02-24T18:19:39Z\n'],
    ['empty collections in flow style', {printColumns: [], labels: {}}, 'printColumns: []\nlabels: {}\n'],
    // Strings that would read back as another type: double quotes.
    ['"" for an empty string', {v: ''}, 'v: ""\n'],
    ['bool-looking strings', {a: 'true', b: 'false', c: 'off', d: 'yes', e: 'Y'}, 'a: "true"\nb: "false"\nc: "off"\nd: "yes"\ne: "Y"\n'],
    ['number-looking strings', {a: '10', b: '0x1F', c: '1e3', d: '.5', e: '0777', f: '1_000', g: '+1', h: '08'}, 'a: "10"\nb: "0x1F"\nc: "1e3"\nd: ".5"\ne: "0777"\nf: "1_000"\ng: "+1"\nh: "08"\n'],
    ['null-looking strings', {a: '~', b: 'null', c: '.inf'}, 'a: "~"\nb: "null"\nc: ".inf"\n'],
    ['timestamp-looking strings', {a: '2015-02-24T18:19:39Z', b: '2001-12-14'}, 'a: "2015-02-24T18:19:39Z"\nb: "2001-12-14"\n'],
    ['base 60 numbers (YAML 1.1)', {a: '1:1'}, 'a: "1:1"\n'],
    ['strings that stay plain', {a: '<foo>', b: '你好', c: '1.2.3', d: '0x', e: '2001-02-30', f: '-x', g: '?x', h: 'a#b', i: 'v1.13.9'}, 'a: <foo>\nb: 你好\nc: 1.2.3\nd: 0x\ne: 2001-02-30\nf: -x\ng: ?x\nh: a#b\ni: v1.13.9\n'],
    // Strings YAML syntax forbids as plain: single quotes.
    ['indicators', {a: '-', b: 'b: c', c: 'Hello #comment', d: '你好 #comment', e: '*x', f: '{.hostname}', g: '---', h: 'key:', i: "it's @"}, "a: '-'\nb: 'b: c'\nc: 'Hello #comment'\nd: '你好 #comment'\ne: '*x'\nf: '{.hostname}'\ng: '---'\nh: 'key:'\ni: it's @\n"],
    ['edge spaces, no line wrapping', {a: 'x '.repeat(60), b: ' lead'}, `a: '${'x '.repeat(60)}'\nb: ' lead'\n`],
    // Characters single quotes cannot hold: double quotes with escapes.
    ['control characters', {a: '\x00', b: 'a\tb', c: 'bell\x07', d: 'del\x7f', e: 'q"\\'}, 'a: "\\0"\nb: "a\\tb"\nc: "bell\\a"\nd: "del\\x7F"\ne: q"\\\n'],
    // Line breaks: literal blocks, indented to the next multiple of 4 (or after "- ").
    ['a literal block with tabs', {a: '\tB\n\tC\n'}, 'a: |\n    \tB\n    \tC\n'],
    ['chomping indicators', {strip: 'a\nb', clip: 'a\nb\n', keep: 'a\n\n', top: ' x\ny'}, 'strip: |-\n    a\n    b\nclip: |\n    a\n    b\nkeep: |+\n    a\n\ntop: |4-\n     x\n    y\n'],
    ['multi-line text a block cannot hold', {a: 'trailing \nspace', b: 'x\ry'}, 'a: "trailing \\nspace"\nb: "x\\ry"\n'],
    ['a literal block at the top', 'version: v1alpha1\nmachine:\n  type: worker\n', '|\n    version: v1alpha1\n    machine:\n      type: worker\n'],
    // Sequences: indented under their key (Talos's machine config layout), mappings after "- ".
    [
      'sequences under keys',
      {cluster: {network: {dnsDomain: 'cluster.local', podSubnets: ['10.244.0.0/16']}}},
      'cluster:\n    network:\n        dnsDomain: cluster.local\n        podSubnets:\n            - 10.244.0.0/16\n',
    ],
    ['mappings in sequences', {a: {b: [{c: 1, d: 2}]}}, 'a:\n    b:\n        - c: 1\n          d: 2\n'],
    ['blocks inside sequence items', {v: ['A', 'B\nC', {k: {x: [1]}}], m: [[1, 2], []]}, 'v:\n    - A\n    - |-\n      B\n      C\n    - k:\n        x:\n            - 1\nm:\n    - - 1\n      - 2\n    - []\n'],
    ['a sequence at the top', [{apiVersion: 'v1', kind: 'Service'}], '- apiVersion: v1\n  kind: Service\n'],
    // Keys follow the string rules; long keys take the explicit form.
    ['quoted keys', {'': 1, 'true': 2, 'a: b': 3}, '"": 1\n"true": 2\n\'a: b\': 3\n'],
    ['a key longer than 128 bytes', {['k'.repeat(129)]: 'v'}, `? ${'k'.repeat(129)}\n: v\n`],
    // Untagged scalars (COSI metadata): quoted only when syntax requires.
    ['untagged scalars', {version: new UntaggedScalar('3'), owner: new UntaggedScalar(''), id: new UntaggedScalar('a: b')}, "version: 3\nowner:\nid: 'a: b'\n"],
  ];
  for (const [name, value, expected] of cases) {
    it(name, () => assert.equal(toGoYaml(value), expected));
  }

  it('resolves plain scalars as yaml.v3 does', () => {
    assert.deepEqual(resolveGoScalar('0o17'), {tag: 'int', value: 15});
    assert.deepEqual(resolveGoScalar('0777'), {tag: 'int', value: 511});
    assert.deepEqual(resolveGoScalar('1_000'), {tag: 'int', value: 1000});
    assert.deepEqual(resolveGoScalar('18446744073709551615'), {tag: 'int', value: 18446744073709551615n});
    assert.deepEqual(resolveGoScalar('99999999999999999999'), {tag: 'float', value: 1e20});
    assert.deepEqual(resolveGoScalar('2001-12-14 21:59:43.10'), {tag: 'timestamp', value: '2001-12-14 21:59:43.10'});
    assert.deepEqual(resolveGoScalar('True'), {tag: 'bool', value: true});
    assert.deepEqual(resolveGoScalar(''), {tag: 'null', value: null});
    for (const text of ['yes', '<<', '0x', '1e999', 'v1', '2001-02-30']) assert.equal(resolveGoScalar(text).tag, 'str', text);
  });
});

describe('resource controllers', () => {
  function nodeStore() {
    const store = createNodeStore();
    publishVersion(store, 'v1.2.3');
    publishIdentity(store, 'NodeId0000000000000000000');
    publishHostname(store, {address: '10.5.0.2', configured: {hostname: 'cp-1', domainname: ''}, warn: () => {}});
    return store;
  }

  it('owns ResourceDefinitions and Namespaces by "meta", as COSI registries do', () => {
    const store = nodeStore();
    const owners = new Set([...store.list('meta', RD), ...store.list('meta', NS)].map((r) => r.metadata.owner));
    assert.deepEqual([...owners], ['meta']);
  });

  it('names the hostname merge controller after the type it merges', () => {
    const merged = nodeStore().get({namespace: 'network', type: 'HostnameSpecs.net.talos.dev', id: 'hostname'});
    assert.equal(merged.metadata.owner, 'HostnameMergeControllers.net.talos.dev');
  });

  it('writes spec keys in Go field order, whatever order a spec was built in', () => {
    const store = nodeStore();
    assert.equal(store.yamlSpec(store.get({namespace: 'runtime', type: 'Versions.runtime.talos.dev', id: 'version'})), 'name: osd\nversion: v1.2.3\n');
    const built = (type, namespace, spec) => store.yamlSpec(store.put({type, namespace, id: 'x', owner: 'test', spec}));
    assert.equal(built('Versions.runtime.talos.dev', 'runtime', {version: 'v1', name: 'osd'}), 'name: osd\nversion: v1\n');
    assert.equal(built('HostnameSpecs.net.talos.dev', 'network', {layer: 'default', domainname: 'lab', hostname: 'a'}), 'hostname: a\ndomainname: lab\nlayer: default\n');
    assert.equal(
      built('Members.cluster.talos.dev', 'cluster', {operatingSystem: 'osd', machineType: 'worker', hostname: 'w', addresses: [], nodeId: 'id1'}),
      'nodeId: id1\naddresses: []\nhostname: w\nmachineType: worker\noperatingSystem: osd\n',
    );
  });

  it('fills Identity proto_spec with talos.resource.definitions.cluster.IdentitySpec', () => {
    const store = nodeStore();
    const identity = store.get({namespace: 'cluster', type: 'Identities.cluster.talos.dev', id: 'local'});
    assert.deepEqual(IdentitySpec.decode(store.protoSpec(identity)), {nodeId: 'NodeId0000000000000000000'});
  });
});

describe('resources of a real osd over the wire', () => {
  const ADDRESS = '127.37.0.2';
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-fidelity-'));
  let osd;
  let state;
  let config;
  let nodeId;

  before(async () => {
    const ca = await generateCA({organization: 'talos', ttlMs: DAY});
    const dir = await makeStateDir(root, {name: 'cp-1', address: ADDRESS, type: 'controlplane', ca, cluster: 'fidelity', controlPlaneEndpoint: `https://${ADDRESS}:6443`});
    config = fs.readFileSync(path.join(dir, 'system/state/config.yaml'), 'utf8');

    const port = await freePort([ADDRESS]);
    osd = osdProcess(['--state-dir', dir, '--address', ADDRESS, '--port', String(port)]);
    await eventually(() => assert.equal(osd.output.stdout, `osd listening on ${ADDRESS}:${port}\n`, osd.output.stderr), 15_000);
    nodeId = fs.readFileSync(path.join(dir, 'system/state/node-identity'), 'utf8').trim();

    const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
    state = new StateClient(`${ADDRESS}:${port}`, clientCredentials(ca, admin));
  });

  after(async () => {
    state?.close();
    if (osd !== undefined && osd.child.exitCode === null) {
      osd.child.kill('SIGTERM');
      await osd.exited;
    }
    fs.rmSync(root, {recursive: true, force: true});
  });

  const get = (namespace, type, id) =>
    new Promise((resolve, reject) =>
      state.get({namespace, type, id}, new grpc.Metadata(), {deadline: Date.now() + 10_000}, (error, response) =>
        error ? reject(error) : resolve(response.resource),
      ),
    );

  it('serves RDs and Namespaces owned by meta, with Go-style YAML', async () => {
    const rd = await get('meta', RD, 'hostnamestatuses.net.talos.dev');
    assert.equal(rd.metadata.owner, 'meta');
    assert.equal(
      rd.spec.yamlSpec,
      'type: HostnameStatuses.net.talos.dev\n' +
        'displayType: HostnameStatus\n' +
        'defaultNamespace: network\n' +
        'aliases:\n' +
        '    - hostname\n' +
        '    - hostnamestatus\n' +
        '    - hs\n' +
        'allAliases:\n' +
        '    - hostnamestatuses\n' +
        '    - hostnamestatuses.net\n' +
        '    - hostnamestatuses.net.talos\n' +
        '    - hostname\n' +
        '    - hostnamestatus\n' +
        '    - hs\n' +
        'printColumns:\n' +
        '    - name: Hostname\n' +
        "      jsonPath: '{.hostname}'\n" +
        '    - name: Domainname\n' +
        "      jsonPath: '{.domainname}'\n",
    );
    assert.equal(ResourceDefinitionSpec.decode(rd.spec.protoSpec).printColumns[0].jsonPath, '{.hostname}');
    const identityRd = await get('meta', RD, 'identities.cluster.talos.dev');
    assert.match(identityRd.spec.yamlSpec, /^printColumns:\n {4}- name: ID\n {6}jsonPath: '\{\.nodeId\}'\n$/m);

    const namespace = await get('meta', NS, 'network');
    assert.equal(namespace.metadata.owner, 'meta');
    assert.equal(namespace.spec.yamlSpec, 'description: Networking resources.\n');
    assert.deepEqual(NamespaceSpec.decode(namespace.spec.protoSpec), {description: 'Networking resources.'});
  });

  it('fills Identity proto_spec and writes Version keys in Go order', async () => {
    const identity = await get('cluster', 'Identities.cluster.talos.dev', 'local');
    assert.equal(identity.spec.yamlSpec, `nodeId: ${nodeId}\n`);
    assert.ok(identity.spec.protoSpec.length > 0, 'proto_spec is filled');
    assert.deepEqual(IdentitySpec.decode(identity.spec.protoSpec), {nodeId});

    const version = await get('runtime', 'Versions.runtime.talos.dev', 'version');
    assert.equal(version.spec.yamlSpec, `name: osd\nversion: v${packageVersion}\n`);
    assert.deepEqual(VersionSpec.decode(version.spec.protoSpec), {version: `v${packageVersion}`, name: 'osd'});
  });

  it('owns the merged HostnameSpec by HostnameMergeControllers.net.talos.dev and quotes an empty domain', async () => {
    const merged = await get('network', 'HostnameSpecs.net.talos.dev', 'hostname');
    assert.equal(merged.metadata.owner, 'HostnameMergeControllers.net.talos.dev');
    assert.equal(merged.spec.yamlSpec, 'hostname: cp-1\ndomainname: ""\nlayer: configuration\n');
    assert.equal(HostnameSpecSpec.decode(merged.spec.protoSpec).hostname, 'cp-1');
  });

  it('lays out Members, MachineTypes and MachineConfigs as Go does', async () => {
    const member = await get('cluster', 'Members.cluster.talos.dev', 'cp-1');
    assert.equal(
      member.spec.yamlSpec,
      `nodeId: ${nodeId}\naddresses:\n    - ${ADDRESS}\nhostname: cp-1\nmachineType: controlplane\n` +
        `operatingSystem: osd (v${packageVersion})\ncontrolPlane:\n    port: 6443\n`,
    );
    assert.deepEqual([...MemberSpec.decode(member.spec.protoSpec).addresses[0].ip], [127, 37, 0, 2]);

    const machineType = await get('config', 'MachineTypes.config.talos.dev', 'machine-type');
    assert.equal(machineType.spec.yamlSpec, 'controlplane\n');

    const machineConfig = await get('config', 'MachineConfigs.config.talos.dev', 'v1alpha1');
    const body = config.replace(/\n$/, '').split('\n').map((line) => (line === '' ? '' : `    ${line}`));
    assert.equal(machineConfig.spec.yamlSpec, `|\n${body.join('\n')}\n`);
    // The config text itself is written the Go way too: sequences indented under their key.
    assert.match(config, /^ {8}podSubnets:\n {12}- 10\.244\.0\.0\/16$/m);
  });
});
