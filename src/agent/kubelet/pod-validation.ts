// A static pod manifest read as kubelet reads it: decoded into a Pod (a wrong type is a decoding
// error), defaulted, then validated with Kubernetes's field-error texts. Only the fields osd's
// process runtime uses are decoded; others are kept in the pod as written.
import {loadYamlDocuments} from '../../machinery/yaml.js';
import type {EnvVar} from '../cri/runtime.js';

export type RestartPolicyName = 'Always' | 'OnFailure' | 'Never';

export interface ContainerSpec {
  name: string;
  image: string;
  command: string[];
  args: string[];
  env: EnvVar[];
  workingDir?: string;
}

export interface PodSpec {
  /** The manifest's name; on the node the pod is `<name>-<nodename>`. */
  name: string;
  namespace: string;
  containers: ContainerSpec[];
  restartPolicy: RestartPolicyName;
  terminationGracePeriodSeconds: number;
}

/** A manifest kubelet cannot read as a pod: the text of its `err` field. */
export class ManifestError extends Error {}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const ENV_NAME_MESSAGE =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";
const RESTART_POLICIES: readonly RestartPolicyName[] = ['Always', 'OnFailure', 'Never'];

/**
 * Reads a manifest file's text (`path` as the node shows it) into a pod. Throws ManifestError with
 * kubelet's texts: `<path>: couldn't parse as pod(<why>), please check config file` when it does
 * not decode, `invalid pod: [<error> <error> …]` when it does not validate.
 */
export function readPodManifest(text: string, path: string): PodSpec {
  const object = decode(text, path);
  const errors: string[] = [];
  const metadata = object.metadata as Record<string, unknown>;
  const spec = object.spec as Record<string, unknown>;

  const name = metadata.name as string | undefined;
  if (name === undefined || name === '') errors.push('metadata.name: Required value: name or generateName is required');
  else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) errors.push(`metadata.name: Invalid value: ${quote(name)}: ${SUBDOMAIN_MESSAGE}`);
  const namespace = (metadata.namespace as string | undefined) || 'default';
  if (namespace.length > 63 || !DNS1123_LABEL.test(namespace)) errors.push(`metadata.namespace: Invalid value: ${quote(namespace)}: ${LABEL_MESSAGE}`);

  const restartPolicy = (spec.restartPolicy as string | undefined) || 'Always';
  if (!RESTART_POLICIES.includes(restartPolicy as RestartPolicyName)) {
    errors.push(`spec.restartPolicy: Unsupported value: ${quote(restartPolicy)}: supported values: "Always", "OnFailure", "Never"`);
  }
  const grace = spec.terminationGracePeriodSeconds as number | undefined;
  if (grace !== undefined && grace < 0) errors.push(`spec.terminationGracePeriodSeconds: Invalid value: ${grace}: must be greater than or equal to 0`);

  const rawContainers = (spec.containers as Array<Record<string, unknown>> | undefined) ?? [];
  if (rawContainers.length === 0) errors.push('spec.containers: Required value');
  const seen = new Set<string>();
  const containers = rawContainers.map((raw, index): ContainerSpec => {
    const at = `spec.containers[${index}]`;
    const containerName = (raw.name as string | undefined) ?? '';
    if (containerName === '') errors.push(`${at}.name: Required value`);
    else if (containerName.length > 63 || !DNS1123_LABEL.test(containerName)) errors.push(`${at}.name: Invalid value: ${quote(containerName)}: ${LABEL_MESSAGE}`);
    else if (seen.has(containerName)) errors.push(`${at}.name: Duplicate value: ${quote(containerName)}`);
    seen.add(containerName);
    const image = (raw.image as string | undefined) ?? '';
    if (image.trim() === '') errors.push(`${at}.image: Required value`);
    const env = ((raw.env as Array<Record<string, unknown>> | undefined) ?? []).map((variable, envIndex): EnvVar => {
      const envName = (variable.name as string | undefined) ?? '';
      if (envName === '') errors.push(`${at}.env[${envIndex}].name: Required value`);
      else if (!ENV_NAME.test(envName)) errors.push(`${at}.env[${envIndex}].name: Invalid value: ${quote(envName)}: ${ENV_NAME_MESSAGE}`);
      return {name: envName, value: (variable.value as string | undefined) ?? ''};
    });
    const workingDir = raw.workingDir as string | undefined;
    return {
      name: containerName,
      image,
      command: (raw.command as string[] | undefined) ?? [],
      args: (raw.args as string[] | undefined) ?? [],
      env,
      ...(workingDir === undefined || workingDir === '' ? {} : {workingDir}),
    };
  });
  if (errors.length > 0) throw new ManifestError(`invalid pod: [${errors.join(' ')}]`);
  return {
    name: name!,
    namespace,
    containers,
    restartPolicy: restartPolicy as RestartPolicyName,
    terminationGracePeriodSeconds: grace ?? 30,
  };
}

/** Go's %q for the texts these messages quote. */
function quote(text: string): string {
  return JSON.stringify(text);
}

type Shape = 'string' | 'int' | 'object' | 'list' | Shape[] | {[key: string]: Shape};

/** The decoded fields and their Go types (a one-element array: a list of that shape). */
const POD_SHAPE: {[key: string]: Shape} = {
  apiVersion: 'string',
  kind: 'string',
  metadata: {name: 'string', namespace: 'string', labels: 'object', annotations: 'object'},
  spec: {
    restartPolicy: 'string',
    terminationGracePeriodSeconds: 'int',
    containers: [{name: 'string', image: 'string', command: ['string'], args: ['string'], workingDir: 'string', env: [{name: 'string', value: 'string'}]}],
  },
};

const GO_TYPES: Record<string, string> = {string: 'string', int: 'int64', object: 'map[string]string', list: '[]interface {}'};

/** One YAML document as a pod object, with kubelet's parse-failure text. */
function decode(text: string, path: string): Record<string, unknown> {
  const fail = (why: string): never => {
    throw new ManifestError(`${path}: couldn't parse as pod(${why}), please check config file`);
  };
  let documents: unknown[];
  try {
    documents = loadYamlDocuments(text, {filename: path});
  } catch (error) {
    return fail(`yaml: ${(error as Error).message.split('\n')[0]}`);
  }
  const object = documents.find((document) => document !== null && document !== undefined);
  if (object === undefined) return fail("Object 'Kind' is missing in 'null'");
  if (typeof object !== 'object' || Array.isArray(object)) return fail(`json: cannot unmarshal ${jsonKind(object)} into Go value of type map[string]interface {}`);
  const pod = object as Record<string, unknown>;
  if (pod.kind === undefined || pod.kind === '') return fail(`Object 'Kind' is missing in '${JSON.stringify(pod)}'`);
  if (pod.kind !== 'Pod') return fail(`no kind "${String(pod.kind)}" is registered for the pod manifests kubelet reads (kind must be "Pod")`);
  if (pod.apiVersion !== undefined && pod.apiVersion !== 'v1') return fail(`no kind "Pod" is registered for version "${String(pod.apiVersion)}" (apiVersion must be "v1")`);
  const problem = typeProblem(pod, POD_SHAPE, '');
  if (problem !== undefined) fail(problem);
  pod.metadata ??= {};
  pod.spec ??= {};
  return pod;
}

/** encoding/json's text for the first field whose YAML type does not fit the Go field. */
function typeProblem(value: unknown, shape: Shape, path: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  const mismatch = (goType: string): string =>
    `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${path === '' ? 'Pod' : `Pod.${path}`} of type ${goType}`;
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) return mismatch(`[]${goTypeOf(shape[0])}`);
    for (const item of value) {
      const problem = typeProblem(item, shape[0], path);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (typeof shape === 'object') {
    if (typeof value !== 'object' || Array.isArray(value)) return mismatch('struct');
    for (const [key, inner] of Object.entries(shape)) {
      const problem = typeProblem((value as Record<string, unknown>)[key], inner, path === '' ? key : `${path}.${key}`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  switch (shape) {
    case 'string':
      return typeof value === 'string' ? undefined : mismatch('string');
    case 'int':
      return Number.isInteger(value) ? undefined : mismatch('int64');
    case 'object':
      return typeof value === 'object' && !Array.isArray(value) ? undefined : mismatch(GO_TYPES.object);
    case 'list':
      return Array.isArray(value) ? undefined : mismatch(GO_TYPES.list);
  }
}

function goTypeOf(shape: Shape): string {
  if (Array.isArray(shape)) return `[]${goTypeOf(shape[0])}`;
  if (typeof shape === 'object') return 'struct';
  return GO_TYPES[shape];
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  return 'object';
}
