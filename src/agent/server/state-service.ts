// cosi.resource.State over the resource store: read-only, with Talos's access policy
// (talos-api.md §5.1) and the COSI watch protocol (§5.3).
import {status} from '@grpc/grpc-js';
import {
  LabelTerm_Operation,
  type IDQuery,
  type LabelQuery,
  type Metadata as WireMetadata,
  type Resource as WireResource,
} from '../../machinery/api/v1alpha1/resource.js';
import {EventType, StateService, type Event as WireEvent, type WatchResponse} from '../../machinery/api/v1alpha1/state.js';
import {META_NAMESPACE, RESOURCE_DEFINITION_TYPE, type ResourceDefinitionSpec} from '../store/definitions.js';
import {isTombstone, type Resource, type ResourcePointer, type StoreEvent, type Tombstone} from '../store/resource.js';
import type {ResourceStore} from '../store/store.js';
import {Role} from './roles.js';
import {serverStreamMethod, unaryMethod, type CallContext, type LocalMethod} from './methods.js';
import {RpcError} from './rpc-error.js';

type Filter = (resource: Resource) => boolean;

export function stateMethods(store: ResourceStore): Array<[string, LocalMethod]> {
  const denyWrite = (): never => {
    throw new RpcError(status.PERMISSION_DENIED, 'write access is not allowed');
  };
  return [
    unaryMethod(StateService.get, (request, context) => {
      checkReadAccess(store, context, request.namespace, request.type);
      const pointer = {namespace: request.namespace, type: request.type, id: request.id};
      const resource = store.get(pointer);
      if (resource === undefined) throw new RpcError(status.NOT_FOUND, `resource ${describe(pointer)} doesn't exist`);
      return {resource: toWire(store, resource)};
    }),

    serverStreamMethod(StateService.list, async (request, context, send) => {
      checkReadAccess(store, context, request.namespace, request.type);
      const filter = queryFilter(request.options?.labelQuery ?? [], request.options?.idQuery);
      for (const resource of store.list(request.namespace, request.type)) {
        if (context.signal.aborted) return;
        if (filter(resource)) send({resource: toWire(store, resource)});
      }
    }),

    serverStreamMethod(StateService.watch, (request, context, send) => {
      checkReadAccess(store, context, request.namespace, request.type);
      const options = request.options;
      if (options?.startFromBookmark !== undefined) {
        throw new RpcError(status.FAILED_PRECONDITION, 'invalid bookmark: osd does not issue watch bookmarks');
      }
      if ((options?.tailEvents ?? 0) > 0) {
        throw new RpcError(status.UNIMPLEMENTED, 'tail events are not supported by osd: it keeps no event history');
      }
      const singleResource = request.id !== undefined;
      if (singleResource && (options?.bootstrapContents === true || (options?.labelQuery.length ?? 0) > 0 || options?.idQuery !== undefined)) {
        throw new RpcError(
          status.UNIMPLEMENTED,
          'bootstrap contents, label queries and id queries are supported only when watching a whole kind (omit the id)',
        );
      }
      const filter = queryFilter(options?.labelQuery ?? [], options?.idQuery);

      return new Promise<void>((resolve) => {
        // Established: the client waits for this empty response before reading events.
        send({event: []});
        const sink = eventSink(store, send, {aggregated: options?.aggregated === true, apiVersion: request.apiVersion});
        const stop = singleResource
          ? store.watch({namespace: request.namespace, type: request.type, id: request.id as string}, sink)
          : store.watchKind(request.namespace, request.type, {bootstrapContents: options?.bootstrapContents === true, filter}, sink);
        const finish = (): void => {
          stop();
          resolve();
        };
        if (context.signal.aborted) finish();
        else context.signal.addEventListener('abort', finish, {once: true});
      });
    }),

    unaryMethod(StateService.create, denyWrite),
    unaryMethod(StateService.update, denyWrite),
    unaryMethod(StateService.destroy, denyWrite),
    unaryMethod(StateService.teardown, denyWrite),
    unaryMethod(StateService.teardownAndDestroy, denyWrite),
  ];
}

/** Talos's AccessPolicy for reads: a known type (by RD), a known namespace, os:admin for sensitive types. */
function checkReadAccess(store: ResourceStore, context: CallContext, namespace: string, type: string): void {
  const definition = store.get<ResourceDefinitionSpec>({namespace: META_NAMESPACE, type: RESOURCE_DEFINITION_TYPE, id: type.toLowerCase()});
  if (definition === undefined) throw new RpcError(status.PERMISSION_DENIED, `resource type "${type}" is not supported`);
  if (!store.hasNamespace(namespace)) throw new RpcError(status.PERMISSION_DENIED, `namespace "${namespace}" is not supported`);
  if (definition.spec.sensitivity === 'sensitive' && !context.caller.roles.includes(Role.admin)) {
    throw new RpcError(status.PERMISSION_DENIED, 'not authorized');
  }
}

/** Turns store events into WatchResponses, one per event or batched per tick when aggregated. */
function eventSink(
  store: ResourceStore,
  send: (response: WatchResponse) => void,
  options: {aggregated: boolean; apiVersion: number},
): (event: StoreEvent) => void {
  let batch: WireEvent[] = [];
  const flush = (): void => {
    const events = batch;
    batch = [];
    if (events.length > 0) send({event: events});
  };
  return (event) => {
    // api_version 0 clients predate BOOTSTRAPPED (and ERRORED, which osd never sends).
    if (options.apiVersion === 0 && event.type === 'bootstrapped') return;
    const wire = toWireEvent(store, event);
    if (!options.aggregated) {
      send({event: [wire]});
      return;
    }
    if (batch.length === 0) queueMicrotask(flush);
    batch.push(wire);
  };
}

const EVENT_TYPES: Record<StoreEvent['type'], EventType> = {
  created: EventType.CREATED,
  updated: EventType.UPDATED,
  destroyed: EventType.DESTROYED,
  bootstrapped: EventType.BOOTSTRAPPED,
};

function toWireEvent(store: ResourceStore, event: StoreEvent): WireEvent {
  return {
    resource: toWire(store, event.resource),
    eventType: EVENT_TYPES[event.type],
    old: event.type === 'updated' ? toWire(store, event.old) : undefined,
  };
}

/** A resource as it travels: metadata, plus the spec in both encodings (yaml_spec always filled). */
export function toWire(store: ResourceStore, resource: Resource | Tombstone): WireResource {
  if (isTombstone(resource)) {
    const metadata: WireMetadata = {
      ...resource.tombstone,
      version: 'undefined',
      owner: '',
      phase: 'running',
      finalizers: [],
      labels: {},
      annotations: {},
    };
    return {metadata, spec: {protoSpec: new Uint8Array(0), yamlSpec: ''}};
  }
  const {metadata} = resource;
  return {
    metadata: {
      namespace: metadata.namespace,
      type: metadata.type,
      id: metadata.id,
      version: String(metadata.version),
      owner: metadata.owner,
      phase: metadata.phase,
      created: metadata.created,
      updated: metadata.updated,
      finalizers: [...metadata.finalizers],
      labels: {...metadata.labels},
      annotations: {...metadata.annotations},
    },
    spec: {protoSpec: store.protoSpec(resource), yamlSpec: store.yamlSpec(resource)},
  };
}

/** ListOptions/WatchOptions queries: the id regexp and label queries (any query, all its terms). */
export function queryFilter(labelQueries: LabelQuery[], idQuery: IDQuery | undefined): Filter {
  const idPattern = idQuery === undefined || idQuery.regexp === '' ? undefined : compileIdRegexp(idQuery.regexp);
  return (resource) => {
    if (idPattern !== undefined && !idPattern.test(resource.metadata.id)) return false;
    if (labelQueries.length === 0) return true;
    return labelQueries.some((query) => query.terms.every((term) => termMatches(term, resource.metadata.labels)));
  };
}

/** Go RE2 syntax, as far as JavaScript can express it: named groups `(?P<x>…)` and a leading `(?i)`. */
function compileIdRegexp(pattern: string): RegExp {
  let source = pattern.replaceAll('(?P<', '(?<');
  let flags = '';
  const inlineFlags = /^\(\?([ims]+)\)/.exec(source);
  if (inlineFlags !== null) {
    flags = inlineFlags[1];
    source = source.slice(inlineFlags[0].length);
  }
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new RpcError(status.INVALID_ARGUMENT, `invalid id query regexp ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
}

function termMatches(term: LabelQuery['terms'][number], labels: Readonly<Record<string, string>>): boolean {
  const value = Object.hasOwn(labels, term.key) ? labels[term.key] : undefined;
  let operation = term.op;
  let invert = term.invert;
  if (operation === LabelTerm_Operation.NOT_EXISTS) {
    operation = LabelTerm_Operation.EXISTS;
    invert = true;
  }
  if (value === undefined) return invert;
  const [first = ''] = term.value;
  let matches: boolean;
  switch (operation) {
    case LabelTerm_Operation.EXISTS:
      matches = true;
      break;
    case LabelTerm_Operation.EQUAL:
      matches = value === first;
      break;
    case LabelTerm_Operation.IN:
      matches = term.value.includes(value);
      break;
    case LabelTerm_Operation.LT:
      matches = value < first;
      break;
    case LabelTerm_Operation.LTE:
      matches = value <= first;
      break;
    case LabelTerm_Operation.LT_NUMERIC:
    case LabelTerm_Operation.LTE_NUMERIC: {
      const [left, right] = [parseInteger(value), parseInteger(first)];
      if (left === undefined || right === undefined) return invert;
      matches = operation === LabelTerm_Operation.LT_NUMERIC ? left < right : left <= right;
      break;
    }
    default:
      throw new RpcError(status.INVALID_ARGUMENT, `unsupported label query operation ${operation} for label "${term.key}"`);
  }
  return matches !== invert;
}

function parseInteger(text: string): bigint | undefined {
  return /^[+-]?\d+$/.test(text) ? BigInt(text) : undefined;
}

function describe(pointer: ResourcePointer): string {
  return `${pointer.type}(${pointer.namespace}/${pointer.id}@undefined)`;
}
