// Plain data the printers work on. Commands convert wire messages into these shapes, so the
// printers never see protobuf or gRPC types and can be tested on literals.

export interface ResourceMetadata {
  namespace: string;
  type: string;
  id: string;
  version: string;
  owner: string;
  phase: string;
  created?: Date;
  updated?: Date;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  finalizers: string[];
}

export interface ResourceRecord {
  /** the node exactly as the user named it (the NODE column) */
  node: string;
  metadata: ResourceMetadata;
  /** the parsed `yaml_spec`; the raw config text (a string) for a MachineConfig */
  spec: unknown;
}

export type WatchEventKind = 'created' | 'updated' | 'destroyed';

/** The parts of a resource definition the printers need. */
export interface ResourceDefinitionView {
  displayType: string;
  printColumns: {name: string; jsonPath: string}[];
}

/** Where printers write, e.g. a wrapper around process.stdout or a string buffer in tests. */
export interface Sink {
  write(text: string): void;
}
