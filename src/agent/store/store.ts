// The versioned in-memory resource store (COSI's in-memory state, reduced to what osd needs).
// Listeners run synchronously inside put/destroy, so every watcher sees events in store order.
// The store keeps no queue per watcher: a slow consumer bounds its own backlog (a Watch call
// queues references to these immutable resources in its stream's bounded sink).
import {isDeepStrictEqual} from 'node:util';
import {
  fillResourceDefinition,
  META_NAMESPACE,
  META_NAMESPACE_DESCRIPTION,
  META_OWNER,
  NAMESPACE_TYPE,
  namespacesType,
  RESOURCE_DEFINITION_TYPE,
  resourceDefinitionsType,
  type NamespaceSpec,
  type ResourceDefinitionSpec,
} from './definitions.js';
import {toGoYaml} from '../../machinery/yaml-emit.js';
import type {
  Resource,
  ResourceMetadata,
  ResourcePointer,
  ResourceTypeDefinition,
  StoreEvent,
  StoreListener,
} from './resource.js';

export interface PutInput<Spec> {
  type: string;
  id: string;
  /** Default: the type's default namespace. */
  namespace?: string;
  owner?: string;
  spec: Spec;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KindWatchOptions {
  /** Send every existing resource as CREATED, then BOOTSTRAPPED, before live events. */
  bootstrapContents?: boolean;
  /** Only resources passing it are reported. */
  filter?: (resource: Resource) => boolean;
}

export interface StoreOptions {
  /** proto_spec renderers for the two built-in meta types; the store itself knows no protobuf. */
  resourceDefinitionProtoSpec?: (spec: ResourceDefinitionSpec) => Uint8Array;
  namespaceProtoSpec?: (spec: NamespaceSpec) => Uint8Array;
}

export class ResourceStoreError extends Error {
  constructor(
    readonly reason: 'unknown-type' | 'unknown-namespace' | 'owner-conflict',
    message: string,
  ) {
    super(message);
  }
}

interface KindWatcher {
  listener: StoreListener;
  filter?: (resource: Resource) => boolean;
}

export class ResourceStore {
  private readonly renderings = new WeakMap<Resource, {yaml?: string; proto?: Uint8Array}>();
  private readonly definitions = new Map<string, ResourceTypeDefinition>();
  /** kind key → id → resource */
  private readonly resources = new Map<string, Map<string, Resource>>();
  private readonly kindWatchers = new Map<string, Set<KindWatcher>>();
  private readonly resourceWatchers = new Map<string, Set<StoreListener>>();

  constructor(options: StoreOptions = {}) {
    const metaTypes: ResourceTypeDefinition[] = [
      {...resourceDefinitionsType, protoSpec: options.resourceDefinitionProtoSpec},
      {...namespacesType, protoSpec: options.namespaceProtoSpec},
    ];
    // Bootstrapping order: both meta types must be known before the `meta` namespace (itself a
    // Namespace resource) exists, and it must exist before the RDs can be stored in it.
    for (const definition of metaTypes) this.definitions.set(definition.type, definition);
    this.registerNamespace(META_NAMESPACE, META_NAMESPACE_DESCRIPTION);
    for (const definition of metaTypes) this.registerType(definition);
  }

  /** Declares a type and publishes its ResourceDefinition (id = lower-cased type). */
  registerType<Spec>(definition: ResourceTypeDefinition<Spec>): Resource<ResourceDefinitionSpec> {
    const spec = fillResourceDefinition(definition);
    this.definitions.set(definition.type, definition);
    return this.put({type: RESOURCE_DEFINITION_TYPE, id: definition.type.toLowerCase(), owner: META_OWNER, spec});
  }

  registerNamespace(name: string, description: string): Resource<NamespaceSpec> {
    return this.put({type: NAMESPACE_TYPE, id: name, owner: META_OWNER, spec: {description}});
  }

  /**
   * The yaml_spec text of a resource, as its type renders it. Resources are immutable, so each
   * version is rendered once: every List, Get and Watch of it reuses the text.
   */
  yamlSpec(resource: Resource): string {
    const rendered = this.rendered(resource);
    if (rendered.yaml === undefined) {
      const render = this.requireDefinition(resource.metadata.type).yamlSpec;
      rendered.yaml = render === undefined ? toGoYaml(resource.spec) : render(resource.spec);
    }
    return rendered.yaml;
  }

  /** The proto_spec bytes of a resource (empty for types without a protobuf schema), rendered once per version. */
  protoSpec(resource: Resource): Uint8Array {
    const rendered = this.rendered(resource);
    if (rendered.proto === undefined) {
      const render = this.requireDefinition(resource.metadata.type).protoSpec;
      rendered.proto = render === undefined ? new Uint8Array(0) : render(resource.spec);
    }
    return rendered.proto;
  }

  private rendered(resource: Resource): {yaml?: string; proto?: Uint8Array} {
    let rendered = this.renderings.get(resource);
    if (rendered === undefined) this.renderings.set(resource, (rendered = {}));
    return rendered;
  }

  /** Creates or updates a resource. The version moves only when spec, labels or annotations changed. */
  put<Spec>(input: PutInput<Spec>): Resource<Spec> {
    const definition = this.requireDefinition(input.type);
    const namespace = input.namespace ?? definition.defaultNamespace;
    // The namespace of a Namespace resource is `meta` itself, registered in the constructor.
    if (!(input.type === NAMESPACE_TYPE && input.id === META_NAMESPACE) && !this.hasNamespace(namespace)) {
      throw new ResourceStoreError('unknown-namespace', `namespace "${namespace}" is not registered`);
    }
    const owner = input.owner ?? '';
    const labels = {...input.labels};
    const annotations = {...input.annotations};
    const kind = this.kind(namespace, input.type, true);
    const old = kind.get(input.id) as Resource<Spec> | undefined;

    if (old !== undefined) {
      if (old.metadata.owner !== owner) {
        throw new ResourceStoreError(
          'owner-conflict',
          `resource ${describe(old.metadata)} is owned by "${old.metadata.owner}", not "${owner}"`,
        );
      }
      if (
        isDeepStrictEqual(old.spec, input.spec) &&
        isDeepStrictEqual(old.metadata.labels, labels) &&
        isDeepStrictEqual(old.metadata.annotations, annotations)
      ) {
        return old;
      }
    }

    const now = new Date();
    const metadata: ResourceMetadata = {
      namespace,
      type: input.type,
      id: input.id,
      version: old === undefined ? 1 : old.metadata.version + 1,
      owner,
      phase: 'running',
      created: old?.metadata.created ?? now,
      updated: now,
      labels,
      annotations,
      finalizers: old?.metadata.finalizers ?? [],
    };
    const resource: Resource<Spec> = Object.freeze({metadata: Object.freeze(metadata), spec: input.spec});
    kind.set(input.id, resource);
    this.emit(metadata, old === undefined ? {type: 'created', resource} : {type: 'updated', resource, old});
    return resource;
  }

  /** Removes a resource; false when it did not exist. */
  destroy(pointer: ResourcePointer, owner = ''): boolean {
    const kind = this.kind(pointer.namespace, pointer.type, false);
    const existing = kind?.get(pointer.id);
    if (kind === undefined || existing === undefined) return false;
    if (existing.metadata.owner !== owner) {
      throw new ResourceStoreError(
        'owner-conflict',
        `resource ${describe(pointer)} is owned by "${existing.metadata.owner}", not "${owner}"`,
      );
    }
    kind.delete(pointer.id);
    this.emit(pointer, {type: 'destroyed', resource: existing});
    return true;
  }

  get<Spec = unknown>(pointer: ResourcePointer): Resource<Spec> | undefined {
    return this.kind(pointer.namespace, pointer.type, false)?.get(pointer.id) as Resource<Spec> | undefined;
  }

  /** Resources of one kind, sorted by id. */
  list<Spec = unknown>(namespace: string, type: string): Array<Resource<Spec>> {
    const kind = this.kind(namespace, type, false);
    if (kind === undefined) return [];
    return [...kind.values()].sort((a, b) => compareIds(a.metadata.id, b.metadata.id)) as Array<Resource<Spec>>;
  }

  hasNamespace(namespace: string): boolean {
    return this.get({namespace: META_NAMESPACE, type: NAMESPACE_TYPE, id: namespace}) !== undefined;
  }

  /** Watches every resource of one kind. Returns the unsubscribe function. */
  watchKind(namespace: string, type: string, options: KindWatchOptions, listener: StoreListener): () => void {
    const watcher: KindWatcher = {listener, filter: options.filter};
    if (options.bootstrapContents === true) {
      for (const resource of this.list(namespace, type)) {
        if (watcher.filter === undefined || watcher.filter(resource)) listener({type: 'created', resource});
      }
      listener({type: 'bootstrapped', resource: {tombstone: {namespace, type, id: ''}}});
    }
    return subscribe(this.kindWatchers, kindKey(namespace, type), watcher);
  }

  /**
   * Watches one resource. The listener first gets its current state: CREATED, or DESTROYED with a
   * tombstone when it does not exist. Returns the unsubscribe function.
   */
  watch(pointer: ResourcePointer, listener: StoreListener): () => void {
    const current = this.get(pointer);
    listener(
      current === undefined ? {type: 'destroyed', resource: {tombstone: {...pointer}}} : {type: 'created', resource: current},
    );
    return subscribe(this.resourceWatchers, resourceKey(pointer), listener);
  }

  private requireDefinition(type: string): ResourceTypeDefinition {
    const definition = this.definitions.get(type);
    if (definition === undefined) {
      throw new ResourceStoreError('unknown-type', `resource type "${type}" is not registered`);
    }
    return definition;
  }

  private kind(namespace: string, type: string, create: true): Map<string, Resource>;
  private kind(namespace: string, type: string, create: false): Map<string, Resource> | undefined;
  private kind(namespace: string, type: string, create: boolean): Map<string, Resource> | undefined {
    const key = kindKey(namespace, type);
    let kind = this.resources.get(key);
    if (kind === undefined && create) {
      kind = new Map();
      this.resources.set(key, kind);
    }
    return kind;
  }

  private emit(pointer: ResourcePointer, event: StoreEvent): void {
    const subject = event.resource as Resource;
    // Copies, so a listener that unsubscribes (or subscribes) while handling does not disturb the loop.
    for (const watcher of [...(this.kindWatchers.get(kindKey(pointer.namespace, pointer.type)) ?? [])]) {
      if (watcher.filter === undefined || watcher.filter(subject)) watcher.listener(event);
    }
    for (const listener of [...(this.resourceWatchers.get(resourceKey(pointer)) ?? [])]) listener(event);
  }
}

function subscribe<T>(registry: Map<string, Set<T>>, key: string, entry: T): () => void {
  let entries = registry.get(key);
  if (entries === undefined) {
    entries = new Set();
    registry.set(key, entries);
  }
  entries.add(entry);
  return () => {
    const current = registry.get(key);
    if (current === undefined) return;
    current.delete(entry);
    if (current.size === 0) registry.delete(key);
  };
}

// NUL cannot appear in namespaces, types or ids, so the keys cannot collide.
function kindKey(namespace: string, type: string): string {
  return `${namespace}\u0000${type}`;
}

function resourceKey(pointer: ResourcePointer): string {
  return `${kindKey(pointer.namespace, pointer.type)}\u0000${pointer.id}`;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describe(pointer: ResourcePointer): string {
  return `${pointer.namespace}/${pointer.type}/${pointer.id}`;
}
