// machine.pods entries an operator can get wrong: one without a name, a name that is not a string,
// and names holding "/" — the manifest file is named after the pod, so "../" must not write
// anywhere on the host. Each is left out with a message naming the entry and the fix; the other
// pods are rendered.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {after, describe, it} from 'node:test';
import {createNodeStore} from '../dist/agent/controllers/resource-types.js';
import {applyStaticPods} from '../dist/agent/kubelet/manifests.js';
import {parseMachineConfig} from '../dist/machinery/machineconfig/parse.js';

const scratch = fs.mkdtempSync(path.join(tmpdir(), 'osd-static-pod-render-'));
after(() => fs.rmSync(scratch, {recursive: true, force: true}));

const config = (pods) => parseMachineConfig(new TextEncoder().encode(
  `version: v1alpha1\nmachine:\n  type: worker\n  pods: ${JSON.stringify(pods)}\ncluster:\n  controlPlane:\n    endpoint: https://127.0.0.1:6443\n`,
));
const pod = (metadata) => ({apiVersion: 'v1', kind: 'Pod', metadata, spec: {containers: [{name: 'c', image: 'x', command: ['sleep', '1']}]}});

/** Every file under `dir`, relative. */
const filesUnder = (dir) => fs.readdirSync(dir, {recursive: true}).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();

describe('rendering machine.pods', () => {
  it('leaves out entries it cannot render, says why, and renders the rest', async () => {
    const root = path.join(scratch, 'node', 'state');
    fs.mkdirSync(root, {recursive: true});
    const store = createNodeStore();
    const problems = [];
    const changes = await applyStaticPods(store, root, config([
      pod({name: 'good'}),
      pod({namespace: 'kube-system'}),
      pod({name: 5}),
      pod({name: 'evil', namespace: '../../../../escaped'}),
      pod({name: 'a/b'}),
      pod({name: 'n', namespace: null}),
    ]), (problem) => problems.push(problem));
    assert.deepEqual(changes, {written: ['talos-default-good.yaml'], removed: []});
    assert.deepEqual(filesUnder(path.join(scratch, 'node')), ['state/etc/kubernetes/manifests/talos-default-good.yaml']);
    assert.deepEqual(store.list('k8s', 'StaticPods.kubernetes.talos.dev').map((r) => r.metadata.id), ['default-good']);
    assert.deepEqual(problems, [
      'machine.pods[1]: name is missing in static pod metadata; set metadata.name',
      'machine.pods[2]: metadata.name must be a string, not number 5; quote it in the machine config',
      'machine.pods[3]: static pod id "../../../../escaped-evil" cannot name a manifest file: metadata.name and metadata.namespace must be Kubernetes names (lower case letters, digits, "-" and ".")',
      'machine.pods[4]: static pod id "default-a/b" cannot name a manifest file: metadata.name and metadata.namespace must be Kubernetes names (lower case letters, digits, "-" and ".")',
      'machine.pods[5]: metadata.namespace must be a string, not empty; quote it in the machine config',
    ]);
  });
});
