// The machine config's static pods, as Talos renders them: one StaticPod resource per pod (id
// `<namespace>-<name>`) and one manifest file per pod in the kubelet's manifest folder,
// `talos-<id>.yaml`. Rendering again after a config change rewrites what changed and removes the
// `talos-*.yaml` files and StaticPods of pods that are gone; other files in the folder are the
// operator's and stay.
import {mkdir, readdir, readFile, unlink} from 'node:fs/promises';
import {join} from 'node:path';
import {staticPods} from '../../machinery/machineconfig/accessors.js';
import type {MachineConfigDocument} from '../../machinery/machineconfig/types.js';
import {writeFileAtomicAsync} from '../../machinery/fs-atomic.js';
import {inGoMapOrder, toGoYaml} from '../../machinery/yaml-emit.js';
import {STATIC_POD_TYPE, type StaticPodSpec} from '../controllers/resource-types.js';
import type {ResourceStore} from '../store/store.js';

/** The manifest folder relative to the node's root. */
export const MANIFEST_DIR = 'etc/kubernetes/manifests';
export const STATIC_POD_OWNER = 'k8s.StaticPodConfigController';
const MANAGED_PREFIX = 'talos-';

export interface RenderedPod {
  /** The StaticPod id, `<namespace>-<name>`. */
  id: string;
  fileName: string;
  pod: StaticPodSpec;
}

/**
 * The static pods of a config; a later pod with the same id replaces an earlier one, as a map keyed
 * by id does. A `machine.pods` entry without a string name, or whose id cannot be a file name in
 * the manifest folder, is left out and told to `refuse` (Talos names these errors too; here one
 * bad entry does not stop the others).
 */
export function renderStaticPods(config: MachineConfigDocument, refuse: (problem: string) => void = () => {}): RenderedPod[] {
  const machinePods = config.v1alpha1?.machine?.pods ?? [];
  const byId = new Map<string, RenderedPod>();
  staticPods(config).forEach(({id, pod}, index) => {
    const fromMachine = index < machinePods.length;
    const problem = (fromMachine ? machinePodProblem(pod) : undefined) ?? fileNameProblem(id);
    if (problem !== undefined) return refuse(`${fromMachine ? `machine.pods[${index}]` : `KubeStaticPodConfig ${JSON.stringify(id)}`}: ${problem}`);
    byId.set(id, {id, fileName: `${MANAGED_PREFIX}${id}.yaml`, pod: inGoMapOrder(pod) as StaticPodSpec});
  });
  return [...byId.values()];
}

/** Why a `machine.pods` entry cannot be rendered, with the fix; undefined when it can. */
function machinePodProblem(pod: Record<string, unknown>): string | undefined {
  const metadata = typeof pod.metadata === 'object' && pod.metadata !== null ? (pod.metadata as Record<string, unknown>) : {};
  if (metadata.name === undefined || metadata.name === null) return 'name is missing in static pod metadata; set metadata.name';
  for (const field of ['name', 'namespace'] as const) {
    const value = metadata[field];
    if (value !== undefined && typeof value !== 'string') {
      return `metadata.${field} must be a string, not ${value === null ? 'empty' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : `${typeof value} ${String(value)}`}; quote it in the machine config`;
    }
  }
  return undefined;
}

/** The id names the manifest file: a "/" would put it in another folder, anywhere on the host. */
function fileNameProblem(id: string): string | undefined {
  if (!/[/\0]/.test(id)) return undefined;
  return `static pod id ${JSON.stringify(id)} cannot name a manifest file: metadata.name and metadata.namespace must be Kubernetes names (lower case letters, digits, "-" and ".")`;
}

export interface ManifestChanges {
  written: string[];
  removed: string[];
}

/**
 * Brings the manifest folder and the StaticPod resources in line with `config`. Files whose
 * content is unchanged are not rewritten, so the kubelet does not recreate their pods.
 */
export async function applyStaticPods(
  store: ResourceStore,
  root: string,
  config: MachineConfigDocument,
  refuse?: (problem: string) => void,
): Promise<ManifestChanges> {
  const pods = renderStaticPods(config, refuse);
  const dir = join(root, MANIFEST_DIR);
  await mkdir(dir, {recursive: true, mode: 0o755});
  const changes: ManifestChanges = {written: [], removed: []};

  const wanted = new Set(pods.map((pod) => pod.fileName));
  for (const name of await readdir(dir)) {
    if (name.startsWith(MANAGED_PREFIX) && name.endsWith('.yaml') && !wanted.has(name)) {
      await unlink(join(dir, name));
      changes.removed.push(name);
    }
  }
  for (const pod of pods) {
    const path = join(dir, pod.fileName);
    const text = toGoYaml(pod.pod);
    if ((await readFile(path, 'utf8').catch(() => undefined)) === text) continue;
    await writeFileAtomicAsync(path, text, 0o644);
    changes.written.push(pod.fileName);
  }

  const ids = new Set(pods.map((pod) => pod.id));
  for (const resource of store.list('k8s', STATIC_POD_TYPE)) {
    if (resource.metadata.owner === STATIC_POD_OWNER && !ids.has(resource.metadata.id)) {
      store.destroy({namespace: 'k8s', type: STATIC_POD_TYPE, id: resource.metadata.id}, STATIC_POD_OWNER);
    }
  }
  for (const pod of pods) store.put<StaticPodSpec>({type: STATIC_POD_TYPE, namespace: 'k8s', id: pod.id, owner: STATIC_POD_OWNER, spec: pod.pod});
  return changes;
}
