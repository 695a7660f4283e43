// Printers for `get`: resources in table, yaml, json, ndjson or jsonpath form, with or without
// watch events (talosctl's output.Writer).
import {compileJsonPath, formatJsonPathResult, type CompiledJsonPath} from '../jsonpath.js';
import {escapeControls} from '../quote.js';
import type {OutputFormat} from './format.js';
import {formatGoTimestamp} from '../../machinery/yaml-emit.js';
import {sortedEntries} from './json.js';
import {structuredPrinter} from './structured.js';
import {TableBlocks} from './table.js';
import type {ResourceDefinitionView, ResourceRecord, Sink, WatchEventKind} from './types.js';
import {resolveUntaggedScalar, UntaggedScalar} from '../../machinery/yaml-emit.js';

export {OUTPUT_FORMAT_NAMES, parseOutputFormat, type OutputFormat} from './format.js';

export interface ResourceWriter {
  writeHeader(definition: ResourceDefinitionView): void;
  /** `event` is required in watch mode. */
  writeResource(record: ResourceRecord, event?: WatchEventKind): void;
  /** Prints what is buffered; tables align the columns of everything printed by one flush. */
  flush(): void;
}

export function createResourceWriter(format: OutputFormat, sink: Sink, options: {watch: boolean}): ResourceWriter {
  if (format.kind === 'table') return new TableWriter(sink, options.watch);
  const print = structuredPrinter(format);
  const forYaml = format.kind === 'yaml';
  return {
    writeHeader: () => {},
    writeResource: (record, event) => {
      const name = `${record.metadata.type} "${record.metadata.id}" on node ${record.node}`;
      sink.write(print(resourceDocument(record, options.watch ? requireEvent(event) : undefined, forYaml), name));
    },
    flush: () => {},
  };
}

function requireEvent(event: WatchEventKind | undefined): WatchEventKind {
  if (!event) throw new Error('a watch-mode resource writer needs the event kind of every resource');
  return event;
}

const WATCH_MARKS: Record<WatchEventKind, string> = {created: '+', destroyed: '-', updated: ' '};

class TableWriter implements ResourceWriter {
  private displayType = '';
  private columns: CompiledJsonPath[] | undefined;
  private readonly blocks: TableBlocks;

  constructor(sink: Sink, private readonly watch: boolean) {
    this.blocks = new TableBlocks(sink);
  }

  writeHeader(definition: ResourceDefinitionView): void {
    this.displayType = definition.displayType;
    this.columns = definition.printColumns.map((column) => {
      try {
        return compileJsonPath(column.jsonPath);
      } catch (err) {
        throw new Error(`print column "${column.name}" of ${definition.displayType} has an unusable jsonpath: ${(err as Error).message}`);
      }
    });
    this.blocks.header = [
      'NODE', ...(this.watch ? ['*'] : []), 'NAMESPACE', 'TYPE', 'ID', 'VERSION',
      ...definition.printColumns.map((column) => column.name.toUpperCase()),
    ];
  }

  writeResource(record: ResourceRecord, event?: WatchEventKind): void {
    if (!this.columns) throw new Error('writeHeader must be called before writeResource');
    const {metadata} = record;
    // Print columns read the spec alone, and a field a resource doesn't have leaves its cell empty.
    // A spec may hold what any writer put there (a META value): its control characters are escaped.
    const cells = this.columns.map((path) => escapeControls(formatJsonPathResult(path.execute(record.spec, {allowMissingKeys: true}))));
    this.blocks.add([[
      record.node, ...(this.watch ? [WATCH_MARKS[requireEvent(event)]] : []),
      metadata.namespace, this.displayType, metadata.id, metadata.version, ...cells,
    ]]);
  }

  flush(): void {
    this.blocks.flush();
  }
}

/** COSI writes timestamps at second precision; a missing one is Go's zero protobuf time. */
function cosiTimestamp(date: Date | undefined): string {
  return formatGoTimestamp(new Date(Math.floor((date?.getTime() ?? 0) / 1000) * 1000));
}

/**
 * The document talosctl prints per resource: `node`, `event` (watch only), `metadata`, `spec`.
 * COSI writes metadata as untagged YAML scalars; talosctl's JSON is that YAML read back, so in
 * JSON (and for jsonpath) they carry the types YAML gives them: `"version": 1`, `"owner": null`.
 */
function resourceDocument(record: ResourceRecord, event: WatchEventKind | undefined, forYaml: boolean): Record<string, unknown> {
  const scalar = forYaml ? (text: string) => new UntaggedScalar(text) : resolveUntaggedScalar;
  const text = forYaml ? (value: string) => new UntaggedScalar(value) : (value: string) => value;
  const md = record.metadata;
  const metadata: Record<string, unknown> = {
    namespace: scalar(md.namespace),
    type: scalar(md.type),
    id: scalar(md.id),
    version: scalar(md.version),
    owner: scalar(md.owner),
    phase: scalar(md.phase),
    created: scalar(cosiTimestamp(md.created)),
    updated: scalar(cosiTimestamp(md.updated)),
  };
  const sortedMap = (map: Record<string, string>) => Object.fromEntries(sortedEntries(map).map(([k, v]) => [k, scalar(v as string)]));
  if (Object.keys(md.labels).length > 0) metadata.labels = sortedMap(md.labels);
  if (Object.keys(md.annotations).length > 0) metadata.annotations = sortedMap(md.annotations);
  if (md.finalizers.length > 0) metadata.finalizers = md.finalizers.map(scalar);
  return {node: text(record.node), ...(event ? {event: text(event)} : {}), metadata, spec: record.spec};
}
