// The one way this project reads YAML. js-yaml shares the value of an anchor between its aliases,
// so a few nested anchors ("billion laughs") build a tiny graph that every later walk (decoding,
// rendering, printing) expands into billions of nodes. Talos's YAML library (go-yaml v3) refuses
// such documents while decoding with "document contains excessive aliasing"; this module applies
// the same rule to the parser's events, before any value is built.
import * as yaml from 'js-yaml';

export interface YamlReadOptions {
  /** Named in error messages. */
  filename?: string;
  /** Tag resolution; js-yaml's CORE_SCHEMA when absent. */
  schema?: yaml.Schema;
}

export const EXCESSIVE_ALIASING = 'document contains excessive aliasing';

// go-yaml v3's rule: a document may take most of its nodes from alias expansion while it is small,
// and less and less of them as it grows (99% up to 400,000 decoded nodes, falling to 10% at 4,000,000).
const RATIO_RANGE_LOW = 400_000;
const RATIO_RANGE_HIGH = 4_000_000;

function allowedAliasRatio(decoded: number): number {
  if (decoded <= RATIO_RANGE_LOW) return 0.99;
  if (decoded >= RATIO_RANGE_HIGH) return 0.1;
  return 0.99 - 0.89 * ((decoded - RATIO_RANGE_LOW) / (RATIO_RANGE_HIGH - RATIO_RANGE_LOW));
}

const {DOCUMENT, SEQUENCE, MAPPING, SCALAR, ALIAS, POP} = yaml.EVENT_ID;

interface OpenNode {
  /** Nodes this collection expands to so far, itself included. */
  size: number;
  anchor?: string;
}

/**
 * Counts, per document, the nodes a decoder visits when it expands every alias, and how many of them
 * come from aliases; fails as soon as the share from aliases is too large (go-yaml checks at every
 * node; the share only grows while an alias is expanded, so checking after each alias is the same).
 * Linear in the number of events: each anchor's expanded size is computed once.
 */
function checkAliasing(events: readonly yaml.Event[], source: string, filename: string): void {
  let anchors = new Map<string, number>();
  const open: OpenNode[] = [];
  let decoded = 0;
  let fromAliases = 0;
  const anchorName = (event: {anchorStart: number; anchorEnd: number}): string | undefined =>
    event.anchorStart >= 0 ? source.slice(event.anchorStart, event.anchorEnd) : undefined;
  const addToParent = (size: number): void => {
    if (open.length > 0) open[open.length - 1].size += size;
  };

  for (const event of events) {
    switch (event.type) {
      case DOCUMENT:
        anchors = new Map();
        decoded = 0;
        fromAliases = 0;
        open.length = 0;
        // The document node itself: closed by its POP, which has no parent to add to.
        open.push({size: 1});
        decoded++;
        break;
      case SEQUENCE:
      case MAPPING:
        decoded++;
        open.push({size: 1, anchor: anchorName(event)});
        break;
      case SCALAR: {
        decoded++;
        const anchor = anchorName(event);
        if (anchor !== undefined) anchors.set(anchor, 1);
        addToParent(1);
        break;
      }
      case POP: {
        const node = open.pop();
        if (node?.anchor !== undefined) anchors.set(node.anchor, node.size);
        if (node !== undefined) addToParent(node.size);
        break;
      }
      case ALIAS: {
        const name = source.slice(event.anchorStart, event.anchorEnd);
        if (open.some((node) => node.anchor === name)) {
          yaml.YAMLException.throwAt(source, event.anchorStart, `anchor "${name}" value contains itself`, filename);
        }
        // An unknown anchor is left to js-yaml, which reports it.
        const expanded = anchors.get(name) ?? 0;
        decoded += 1 + expanded;
        fromAliases += expanded;
        addToParent(1 + expanded);
        if (fromAliases > 100 && decoded > 1000 && fromAliases / decoded > allowedAliasRatio(decoded)) {
          yaml.YAMLException.throwAt(source, event.anchorStart, EXCESSIVE_ALIASING, filename);
        }
        break;
      }
    }
  }
}

/** The parser's events for `text`, refused when a document contains excessive aliasing. */
export function parseYamlEvents(text: string, options: Pick<YamlReadOptions, 'filename'> = {}): yaml.Event[] {
  const events = yaml.parseEvents(text, options.filename === undefined ? {} : {filename: options.filename});
  checkAliasing(events, text, options.filename ?? '');
  return events;
}

/** Every document of a YAML stream (js-yaml `loadAll`), refused when one contains excessive aliasing. */
export function loadYamlDocuments(text: string, options: YamlReadOptions = {}): unknown[] {
  const events = parseYamlEvents(text, options);
  const {filename, schema} = options;
  // js-yaml spreads options over its defaults, so an explicit `undefined` would erase a default.
  return yaml.constructFromEvents(events, {
    source: text,
    ...(filename === undefined ? {} : {filename}),
    ...(schema === undefined ? {} : {schema}),
  });
}

/** Exactly one document (js-yaml `load`), refused when it contains excessive aliasing. */
export function loadYaml(text: string, options: YamlReadOptions = {}): unknown {
  const documents = loadYamlDocuments(text, options);
  if (documents.length === 0) throw new yaml.YAMLException('expected a document, but the input is empty');
  if (documents.length > 1) throw new yaml.YAMLException('expected a single document in the stream, but found more');
  return documents[0];
}
