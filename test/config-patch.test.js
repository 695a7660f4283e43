// Machine config patches (src/machinery/machineconfig/patch.ts): RFC 6902 and strategic merge as
// Talos applies them, and the messages a bad patch gets.
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {
  applyConfigPatches, applyJsonPatch, ConfigPatchError, loadPatch, loadPatches, patchArgumentSource,
} from '../dist/machinery/machineconfig/patch.js';
import {newMachineConfig, staticPods} from '../dist/machinery/machineconfig/index.js';
import {generateCA} from '../dist/machinery/pki.js';

const ca = await generateCA({organization: 'talos', ttlMs: 24 * 3600 * 1000});
const config = (type = 'controlplane') => newMachineConfig({
  type, clusterName: 'lab', controlPlaneEndpoint: 'https://127.46.0.2:6443', hostname: 'lab-1',
  caCrtPem: ca.crt, caKeyPem: type === 'worker' ? undefined : ca.key, token: '3b9kzq.8vm2d5p1xq7ua0cf',
});

describe('patch arguments', () => {
  it('@file, inline text, or (as talosctl guesses) a bare file name', () => {
    assert.deepEqual(patchArgumentSource('@p.yaml'), {file: 'p.yaml'});
    assert.deepEqual(patchArgumentSource('p.yaml'), {file: 'p.yaml'});
    assert.deepEqual(patchArgumentSource('[{"op":"remove","path":"/debug"}]'), {inline: '[{"op":"remove","path":"/debug"}]'});
    assert.deepEqual(patchArgumentSource('machine: {}'), {inline: 'machine: {}'});
    const read = [];
    const patches = loadPatches(['@a.yaml', 'machine:\n  network:\n    hostname: x\n'], (f) => (read.push(f), '- op: remove\n  path: /debug\n'));
    assert.deepEqual(read, ['a.yaml']);
    assert.equal(patches[0].kind, 'json6902');
    assert.equal(patches[0].source, 'patch file "a.yaml"');
    assert.equal(patches[1].kind, 'strategic');
    assert.throws(() => loadPatches(['@https://example.com/p.yaml'], () => assert.fail('no file is read')),
      /patch "https:\/\/example\.com\/p\.yaml": patches are not fetched over http\(s\); download it and pass @<file>/);
  });
});

describe('loading a patch', () => {
  it('tells JSON patches (JSON or YAML lists) from strategic merge patches', () => {
    assert.equal(loadPatch('[{"op": "add", "path": "/machine/certSANs/-", "value": "x"}]', 'p').kind, 'json6902');
    assert.equal(loadPatch('- op: add\n  path: /debug\n  value: true\n', 'p').kind, 'json6902');
    const strategic = loadPatch('machine:\n  network:\n    hostname: x\n---\napiVersion: v1alpha1\nkind: HostnameConfig\nauto: stable\n', 'p');
    assert.equal(strategic.kind, 'strategic');
    assert.equal(strategic.documents.length, 2);
  });

  it('refuses unknown keys, bad operations and scalars, naming the patch and the place', () => {
    assert.throws(() => loadPatch('machine:\n  netwrk:\n    hostname: x\n', 'patch file "p.yaml"'),
      (err) => err instanceof ConfigPatchError && /^patch file "p\.yaml": not a valid strategic merge patch: .*unknown keys found during decoding:\n.*netwrk/s.test(err.message));
    assert.throws(() => loadPatch('[{"op": "frob", "path": "/x"}]', 'p'), /p: operation 1: "op" must be one of add, remove, replace, move, copy, test \(got "frob"\)/);
    assert.throws(() => loadPatch('[{"op": "add", "path": "/x"}]', 'p'), /p: operation 1 \(add \/x\): "value" is missing/);
    assert.throws(() => loadPatch('just words', 'p'), /p: a patch is either a list of JSON patch operations \(RFC 6902\) or a partial machine config/);
    assert.throws(() => loadPatch('machine: [', 'p'), /p: not valid YAML or JSON/);
    assert.throws(() => loadPatch('machine:\n  $patch: replace\n', 'p'), /p: machine: \$patch: "replace" is not supported; only "\$patch: delete"/);
  });
});

describe('RFC 6902', () => {
  it('add, remove, replace, move, copy and test, with pointers escaped', () => {
    const doc = {a: {'b/c': 1, 'd~e': [1, 2]}, list: ['x']};
    const out = applyJsonPatch(doc, [
      {op: 'add', path: '/list/-', value: 'y'},
      {op: 'add', path: '/list/0', value: 'w'},
      {op: 'replace', path: '/a/b~1c', value: 2},
      {op: 'copy', from: '/a/d~0e', path: '/copied'},
      {op: 'move', from: '/list/1', path: '/moved'},
      {op: 'remove', path: '/a/d~0e/0'},
      {op: 'test', path: '/moved', value: 'x'},
    ]);
    assert.deepEqual(out, {a: {'b/c': 2, 'd~e': [2]}, list: ['w', 'y'], copied: [1, 2], moved: 'x'});
    assert.deepEqual(doc, {a: {'b/c': 1, 'd~e': [1, 2]}, list: ['x']}, 'the input is not changed');
  });

  it('errors name the operation and the path', () => {
    assert.throws(() => applyJsonPatch({a: {}}, [{op: 'remove', path: '/a/b'}], 'patch file "p.json"'),
      /patch file "p\.json": operation 1 \(remove \/a\/b\): \/a\/b does not exist$/);
    assert.throws(() => applyJsonPatch({a: 1}, [{op: 'add', path: '/x/y', value: 1}]), /operation 1 \(add \/x\/y\): \/x does not exist/);
    assert.throws(() => applyJsonPatch({a: 1}, [{op: 'replace', path: '/b', value: 1}]), /\/b does not exist, so it cannot be replaced/);
    assert.throws(() => applyJsonPatch({l: [1]}, [{op: 'add', path: '/l/5', value: 1}]), /index 5 is past the end of the list \(length 1\)/);
    assert.throws(() => applyJsonPatch({a: 1}, [{op: 'test', path: '/a', value: 2}]), /test failed: \/a is 1, not 2/);
  });
});

describe('strategic merge', () => {
  it('merges maps, appends lists, keeps values a zero value patches, lets false through', () => {
    const base = config();
    const patched = applyConfigPatches(base, [loadPatch([
      'debug: true',
      'machine:',
      '  certSANs: [a.example]',
      '  network:',
      '    hostname: ""',
      '  features:',
      '    rbac: false',
      '  pods:',
      '    - apiVersion: v1',
      '      kind: Pod',
      '      metadata: {name: nginx}',
      '      spec: {containers: [{name: nginx, image: nginx, command: [sleep, "1000"]}]}',
      'cluster:',
      '  network:',
      '    podSubnets: [10.100.0.0/16]',
    ].join('\n'), 'p')]);
    const v = patched.v1alpha1;
    assert.equal(v.debug, true);
    assert.deepEqual(v.machine.certSANs, ['a.example']);
    assert.equal(v.machine.network.hostname, 'lab-1', 'an empty string patches nothing');
    assert.equal(v.machine.features.rbac, false);
    assert.equal(v.machine.features.apidCheckExtKeyUsage, true, 'siblings stay');
    assert.deepEqual(v.cluster.network.podSubnets, ['10.100.0.0/16'], 'podSubnets are replaced, as Talos does');
    assert.deepEqual(v.cluster.network.serviceSubnets, ['10.96.0.0/12']);
    assert.equal(staticPods(patched).length, 1);
    assert.match(patched.raw, /pods:\n {8}- apiVersion: v1/);
    // a second patch appends to the list
    const twice = applyConfigPatches(patched, [loadPatch('machine:\n  certSANs: [b.example]\n', 'p2')]);
    assert.deepEqual(twice.v1alpha1.machine.certSANs, ['a.example', 'b.example']);
  });

  it('merges network interfaces by name and removes what `$patch: delete` marks', () => {
    const base = applyConfigPatches(config(), [loadPatch('machine:\n  network:\n    interfaces:\n      - interface: eth0\n        mtu: 1500\n      - interface: eth1\n        dhcp: true\n', 'a')]);
    const patched = applyConfigPatches(base, [loadPatch([
      'machine:',
      '  network:',
      '    interfaces:',
      '      - interface: eth0',
      '        mtu: 9000',
      '      - interface: eth1',
      '        $patch: delete',
      '  features:',
      '    hostDNS:',
      '      $patch: delete',
    ].join('\n'), 'b')]);
    assert.deepEqual(patched.v1alpha1.machine.network.interfaces, [{interface: 'eth0', mtu: 9000}]);
    assert.equal(patched.v1alpha1.machine.features.hostDNS, undefined);
  });

  it('deletes the list item its first key selects, in any list, before the rest of the patch merges', () => {
    const files = 'machine:\n  files:\n    - {content: a, path: /var/a, op: create}\n    - {content: b, path: /var/b, op: create}\n';
    const base = applyConfigPatches(config(), [loadPatch(files, 'a')]);
    const patched = applyConfigPatches(base, [loadPatch('machine:\n  files:\n    - path: /var/a\n      $patch: delete\n    - {content: c, path: /var/a, op: create}\n', 'b')]);
    assert.deepEqual(patched.v1alpha1.machine.files.map((f) => [f.path, f.content]), [['/var/b', 'b'], ['/var/a', 'c']]);
  });

  it('a delete that finds nothing is an error worded as Talos words it', () => {
    const base = applyConfigPatches(config(), [loadPatch('machine:\n  files:\n    - {content: a, path: /var/a, op: create}\n', 'a')]);
    assert.throws(() => applyConfigPatches(base, [loadPatch('machine:\n  files:\n    - path: /nope\n      $patch: delete\n', 'patch file "d.yaml"')]),
      (err) => err instanceof ConfigPatchError && err.message ===
        "patch file \"d.yaml\": patch delete: path 'machine.files.[0]' in document '/v1alpha1': failed to delete path 'machine.files.[0]': lookup failed");
    // The place's parent is not in the config at all.
    assert.throws(() => applyConfigPatches(config(), [loadPatch('machine:\n  kubelet:\n    nodeIP:\n      $patch: delete\n', 'p')]),
      {message: "p: patch delete: path 'machine.kubelet.nodeIP' in document '/v1alpha1': failed to delete path 'machine.kubelet.nodeIP': lookup failed"});
    // An unset field of a section that is there is fine to delete, as Talos zeroes a struct field.
    assert.equal(applyConfigPatches(config(), [loadPatch('machine:\n  network:\n    nameservers:\n      $patch: delete\n', 'p')]).v1alpha1.machine.network.hostname, 'lab-1');
  });

  it('adds, merges and deletes other documents by kind and name', () => {
    const added = applyConfigPatches(config(), [loadPatch('apiVersion: v1alpha1\nkind: ResolverConfig\nnameservers:\n  - address: 1.1.1.1\n', 'a')]);
    assert.equal(added.documents.length, 1);
    const merged = applyConfigPatches(added, [loadPatch('apiVersion: v1alpha1\nkind: ResolverConfig\nnameservers:\n  - address: 8.8.8.8\n', 'b')]);
    assert.deepEqual(merged.documents[0].nameservers, [{address: '1.1.1.1'}, {address: '8.8.8.8'}]);
    const deleted = applyConfigPatches(merged, [loadPatch('apiVersion: v1alpha1\nkind: ResolverConfig\n$patch: delete\n', 'c')]);
    assert.equal(deleted.documents.length, 0);
  });

  it('JSON patches apply to single-document configs, and the result is checked naming the patches', () => {
    const patched = applyConfigPatches(config('worker'), [loadPatch('[{"op": "replace", "path": "/machine/network/hostname", "value": "w-9"}]', 'inline patch')]);
    assert.equal(patched.v1alpha1.machine.network.hostname, 'w-9');
    assert.throws(() => applyConfigPatches(config(), [loadPatch('[{"op": "add", "path": "/machine/netwrk", "value": {}}]', 'patch file "bad.json"')]),
      /the machine config after patch file "bad\.json" is not valid: .*unknown keys found during decoding/s);
    const multi = applyConfigPatches(config(), [loadPatch('apiVersion: v1alpha1\nkind: ResolverConfig\nnameservers:\n  - address: 1.1.1.1\n', 'a')]);
    assert.throws(() => applyConfigPatches(multi, [loadPatch('[{"op": "remove", "path": "/debug"}]', 'j')]),
      /j: JSON6902 patches are not supported for multi-document machine configuration/);
  });
});
