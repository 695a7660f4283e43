// COSI State calls (Get/List/Watch) and their translation into plain records for printers.
// Loaded lazily with the client: it pulls in generated protobuf code.
import {ResourceDefinitionSpec, ResourceDefinitionSpec_Sensitivity} from '../machinery/api/v1alpha1/meta.js';
import {Resource} from '../machinery/api/v1alpha1/resource.js';
import {loadYaml} from '../machinery/yaml.js';
import {EventType, GetRequest, ListRequest, StateService, WatchRequest} from '../machinery/api/v1alpha1/state.js';
import type {OsClient} from './client.js';
import type {ResourceRecord, WatchEventKind} from './output/types.js';
import type {ResourceDefinition} from './resources.js';

const RD_NAMESPACE = 'meta';
const RD_TYPE = 'ResourceDefinitions.meta.cosi.dev';

export async function listDefinitions(client: OsClient, node: string): Promise<ResourceDefinition[]> {
  const definitions: ResourceDefinition[] = [];
  const request = ListRequest.fromPartial({namespace: RD_NAMESPACE, type: RD_TYPE});
  for await (const response of client.serverStream(StateService.list, request, node, 'call')) {
    const resource = response.resource;
    if (!resource?.metadata || !resource.spec) continue;
    const spec = ResourceDefinitionSpec.decode(resource.spec.protoSpec);
    definitions.push({
      id: resource.metadata.id,
      type: spec.resourceType,
      displayType: spec.displayType,
      defaultNamespace: spec.defaultNamespace,
      aliases: spec.aliases,
      allAliases: spec.allAliases,
      printColumns: spec.printColumns.map((c) => ({name: c.name, jsonPath: c.jsonPath})),
      sensitive: spec.sensitivity === ResourceDefinitionSpec_Sensitivity.SENSITIVE,
    });
  }
  return definitions;
}

export async function listResources(client: OsClient, node: string, namespace: string, type: string): Promise<ResourceRecord[]> {
  const records: ResourceRecord[] = [];
  const request = ListRequest.fromPartial({namespace, type});
  for await (const response of client.serverStream(StateService.list, request, node, 'call')) {
    if (response.resource) records.push(toRecord(node, response.resource));
  }
  return records;
}

export async function getResource(client: OsClient, node: string, namespace: string, type: string, id: string): Promise<ResourceRecord> {
  const response = await client.unary(StateService.get, GetRequest.fromPartial({namespace, type, id}), node);
  return toRecord(node, response.resource ?? Resource.fromPartial({}));
}

export type WatchItem = {kind: 'event'; record: ResourceRecord; event: WatchEventKind} | {kind: 'bootstrapped'};

/** Watches a kind (with its current contents first) or one resource, as talosctl `get -w` does. */
export async function* watchResources(
  client: OsClient, node: string, namespace: string, type: string, id?: string,
): AsyncGenerator<WatchItem> {
  const request = WatchRequest.fromPartial({
    namespace,
    type,
    id,
    options: id === undefined ? {bootstrapContents: true} : undefined,
    apiVersion: 1,
  });
  // A single-resource watch has no BOOTSTRAPPED marker: its first event is the current state.
  let firstEventSeen = false;
  for await (const response of client.serverStream(StateService.watch, request, node, 'first-answer')) {
    for (const event of response.event) {
      switch (event.eventType) {
        case EventType.BOOTSTRAPPED:
          yield {kind: 'bootstrapped'};
          break;
        case EventType.ERRORED:
          throw new Error(`error watching resource: ${event.error ?? 'unknown error'}`);
        case EventType.CREATED:
        case EventType.UPDATED:
        case EventType.DESTROYED:
          if (event.resource) {
            yield {kind: 'event', record: toRecord(node, event.resource), event: EVENT_KINDS[event.eventType]};
          }
          if (id !== undefined && !firstEventSeen) yield {kind: 'bootstrapped'};
          firstEventSeen = true;
          break;
        default:
          break;
      }
    }
  }
}

const EVENT_KINDS: Record<number, WatchEventKind> = {
  [EventType.CREATED]: 'created',
  [EventType.UPDATED]: 'updated',
  [EventType.DESTROYED]: 'destroyed',
};

export function toRecord(node: string, resource: Resource): ResourceRecord {
  const m = resource.metadata;
  return {
    node,
    metadata: {
      namespace: m?.namespace ?? '',
      type: m?.type ?? '',
      id: m?.id ?? '',
      version: m?.version ?? '',
      owner: m?.owner ?? '',
      phase: m?.phase ?? '',
      created: m?.created,
      updated: m?.updated,
      labels: m?.labels ?? {},
      annotations: m?.annotations ?? {},
      finalizers: m?.finalizers ?? [],
    },
    spec: decodeYamlSpec(resource),
  };
}

/**
 * `yaml_spec` is the YAML rendering of the spec. Nodes that annotate `talos.dev/yaml-spec`
 * (MachineConfig on Talos >= 1.12) encode a string scalar holding the config text; older nodes
 * send the config text itself, which must stay a string rather than be parsed.
 */
function decodeYamlSpec(resource: Resource): unknown {
  const text = resource.spec?.yamlSpec ?? '';
  if (text === '') return null;
  if (resource.metadata?.type === 'MachineConfigs.config.talos.dev' && !resource.metadata.annotations['talos.dev/yaml-spec']) {
    return text;
  }
  return loadYaml(text);
}
