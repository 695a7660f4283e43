// Plain resources as the store keeps them: COSI metadata plus a spec object. How a spec looks on
// the wire (yaml_spec, proto_spec) is the business of its type definition, not of the store.

export interface ResourcePointer {
  namespace: string;
  type: string;
  id: string;
}

export interface ResourceMetadata extends ResourcePointer {
  /** Per-resource counter: 1 on creation, +1 on every change. */
  version: number;
  /** The controller that writes the resource; empty for resources written directly by the agent. */
  owner: string;
  phase: 'running' | 'tearingDown';
  created: Date;
  updated: Date;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  finalizers: readonly string[];
}

/** Stored resources are immutable snapshots: every change produces a new object. */
export interface Resource<Spec = unknown> {
  readonly metadata: Readonly<ResourceMetadata>;
  readonly spec: Spec;
}

/** Stands in for a resource that does not exist (DESTROYED of a missing resource, BOOTSTRAPPED). */
export interface Tombstone {
  readonly tombstone: ResourcePointer;
}

export function isTombstone(value: Resource | Tombstone): value is Tombstone {
  return 'tombstone' in value;
}

export interface PrintColumn {
  name: string;
  jsonPath: string;
}

/** What a resource type declares about itself; the store derives the ResourceDefinition from it. */
export interface ResourceTypeDefinition<Spec = any> {
  /** Canonical `<PluralCamelName>.<dotted.suffix>`, e.g. `MachineConfigs.config.talos.dev`. */
  type: string;
  defaultNamespace: string;
  /** Explicit aliases; the automatic ones are added by the Fill rules. */
  aliases?: string[];
  printColumns?: PrintColumn[];
  sensitive?: boolean;
  /** The yaml_spec text. Default: the spec object as a YAML mapping. */
  yamlSpec?: (spec: Spec) => string;
  /** The proto_spec bytes, for types that have a protobuf schema. */
  protoSpec?: (spec: Spec) => Uint8Array;
}

export type StoreEvent =
  | {type: 'created'; resource: Resource}
  | {type: 'updated'; resource: Resource; old: Resource}
  | {type: 'destroyed'; resource: Resource | Tombstone}
  | {type: 'bootstrapped'; resource: Tombstone};

export type StoreListener = (event: StoreEvent) => void;
