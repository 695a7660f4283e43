import * as yaml from 'js-yaml';
import { parseYamlEvents } from '../yaml.js';
import { MachineConfigParseError } from './errors.js';

// Splits a YAML stream into documents and keeps, next to each document's
// JavaScript value, a tree of source lines so errors can name a line the way
// Go's yaml.Node does (a mapping's line is the line of its first key).

export interface SourceNode {
  /** 1-based line. */
  line: number;
  /** Scalar text as written (decoded), for scalars. */
  text?: string;
  items?: SourceNode[];
  /** Mapping entries by key, with the line of the key itself. */
  entries?: Map<string, { keyLine: number; value: SourceNode }>;
}

export interface SourceDocument {
  value: unknown;
  root: SourceNode;
}

const { DOCUMENT, SEQUENCE, MAPPING, SCALAR, ALIAS, POP } = yaml.EVENT_ID;

function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}

class SourceTreeBuilder {
  private position = 0;
  private readonly anchors = new Map<string, SourceNode>();

  constructor(
    private readonly events: yaml.Event[],
    private readonly text: string,
    private readonly lineOf: (offset: number) => number,
  ) {}

  /** Builds the node starting at the current event; `fallbackLine` is used for empty scalars. */
  node(start: number, fallbackLine: number): { node: SourceNode; end: number } {
    this.position = start;
    const node = this.read(fallbackLine);
    return { node, end: this.position };
  }

  private read(fallbackLine: number): SourceNode {
    const event = this.events[this.position++];
    let node: SourceNode;
    switch (event.type) {
      case SCALAR:
        node = {
          line: event.valueStart >= 0 ? this.lineOf(event.valueStart) : fallbackLine,
          text: yaml.getScalarValue(this.text, event),
        };
        break;
      case ALIAS:
        return this.anchors.get(this.text.slice(event.anchorStart, event.anchorEnd)) ?? { line: fallbackLine };
      case SEQUENCE: {
        node = { line: this.lineOf(event.start), items: [] };
        while (this.events[this.position].type !== POP) node.items!.push(this.read(node.line));
        this.position++;
        break;
      }
      case MAPPING: {
        node = { line: this.lineOf(event.start), entries: new Map() };
        while (this.events[this.position].type !== POP) {
          const key = this.read(node.line);
          node.entries!.set(key.text ?? '', { keyLine: key.line, value: this.read(key.line) });
        }
        this.position++;
        break;
      }
      default:
        throw new Error(`unexpected YAML event ${event.type}`);
    }
    if (event.anchorStart >= 0) this.anchors.set(this.text.slice(event.anchorStart, event.anchorEnd), node);
    return node;
  }
}

function yamlError(err: unknown): MachineConfigParseError {
  if (err instanceof yaml.YAMLException) {
    const line = err.mark ? err.mark.line + 1 : undefined;
    // Same shape as Talos' "decode error: yaml: line N: <reason>".
    return new MachineConfigParseError(`decode error: yaml: line ${line ?? 0}: ${err.reason}`, { line });
  }
  return new MachineConfigParseError(`decode error: ${err instanceof Error ? err.message : String(err)}`);
}

/** Parses every document of a YAML stream; YAML syntax errors become `decode error: …`. */
export function readDocuments(text: string): SourceDocument[] {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lineOf = lineIndex(source);
  try {
    const events = parseYamlEvents(source);
    const builder = new SourceTreeBuilder(events, source, lineOf);
    const documents: SourceDocument[] = [];
    let position = 0;
    while (position < events.length) {
      if (events[position].type !== DOCUMENT) throw new Error(`unexpected YAML event ${events[position].type}`);
      const { node, end } = builder.node(position + 1, 1);
      const documentEvents = events.slice(position, end + 1);
      const [value] = yaml.constructFromEvents(documentEvents, { source });
      documents.push({ value, root: node });
      position = end + 1;
    }
    return documents;
  } catch (err) {
    throw yamlError(err);
  }
}

/** Decodes submitted bytes as strict UTF-8 (Go's YAML decoder rejects invalid UTF-8 too). */
export function decodeText(input: string | Uint8Array): { raw: string; bytes: Uint8Array } {
  if (typeof input === 'string') return { raw: input, bytes: new TextEncoder().encode(input) };
  try {
    return { raw: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input), bytes: input };
  } catch {
    throw new MachineConfigParseError('decode error: yaml: invalid UTF-8 in input');
  }
}
