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
import {Role} from '../../machinery/roles.js';
import {serverStreamMethod, unaryMethod, type CallContext, type LocalMethod} from './methods.js';
import {RpcError} from './rpc-error.js';
import type {ResponseStream} from './stream-sink.js';

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

    serverStreamMethod(StateService.list, async (request, context, stream) => {
      checkReadAccess(store, context, request.namespace, request.type);
      const filter = queryFilter(request.options?.labelQuery ?? [], request.options?.idQuery);
      for (const resource of store.list(request.namespace, request.type)) {
        if (context.signal.aborted) return;
        if (filter(resource)) await stream.send({resource: toWire(store, resource)});
      }
    }),

    serverStreamMethod(StateService.watch, async (request, context, stream) => {
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
      const encoding = {aggregated: options?.aggregated === true, apiVersion: request.apiVersion};

      // A client that stops reading while events keep coming ends as in COSI: an ERRORED event
      // (for clients that know it) and then the status.
      stream.describeOverrun({
        subject: `the watch of namespace ${JSON.stringify(request.namespace)} type ${JSON.stringify(request.type)}${singleResource ? ` id ${JSON.stringify(request.id)}` : ''}`,
        lastMessage: (reason) => (request.apiVersion >= 1 ? {event: [{eventType: EventType.ERRORED, error: reason}]} : undefined),
      });
      // Established: the client waits for this empty response before reading events.
      void stream.send({event: []});

      // Events are queued as references to the (immutable, shared) resources and encoded only
      // when the client has room. The current state (bootstrap contents, or the watched resource)
      // arrives synchronously while subscribing and goes first, as one send.
      const initial: StoreEvent[] = [];
      let deliver = (event: StoreEvent): void => void initial.push(event);
      const stop = singleResource
        ? store.watch({namespace: request.namespace, type: request.type, id: request.id as string}, (event) => deliver(event))
        : store.watchKind(request.namespace, request.type, {bootstrapContents: options?.bootstrapContents === true, filter}, (event) => deliver(event));
      try {
        stream.sendLazily(watchResponses(store, initial, encoding));
        deliver = liveEvents(store, stream, encoding);
        await aborted(context.signal);
      } finally {
        stop();
      }
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

interface EventEncoding {
  aggregated: boolean;
  apiVersion: number;
}

/** One response per event, or one for all of them when aggregated. */
function* watchResponses(store: ResourceStore, events: StoreEvent[], encoding: EventEncoding): Iterable<WatchResponse> {
  const sent = events.filter((event) => sentToClient(event, encoding));
  if (!encoding.aggregated) {
    for (const event of sent) yield {event: [toWireEvent(store, event)]};
  } else if (sent.length > 0) {
    yield {event: sent.map((event) => toWireEvent(store, event))};
  }
}

/**
 * Sends live store events: each on its own, or batched per tick when aggregated. Not awaited: the
 * store pushes events as they happen; the stream's bound stops a client that falls behind.
 */
function liveEvents(store: ResourceStore, stream: ResponseStream<WatchResponse>, encoding: EventEncoding): (event: StoreEvent) => void {
  if (!encoding.aggregated) return (event) => stream.sendLazily(watchResponses(store, [event], encoding));
  let batch: StoreEvent[] = [];
  return (event) => {
    if (batch.length === 0) {
      queueMicrotask(() => {
        stream.sendLazily(watchResponses(store, batch, encoding));
        batch = [];
      });
    }
    batch.push(event);
  };
}

/** api_version 0 clients predate BOOTSTRAPPED (and ERRORED). */
function sentToClient(event: StoreEvent, encoding: EventEncoding): boolean {
  return !(encoding.apiVersion === 0 && event.type === 'bootstrapped');
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), {once: true});
  });
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
