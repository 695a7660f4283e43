// YAML text laid out the way talosctl's Go encoder (gopkg.in/yaml.v3, 4-space indent, no line
// wrapping) lays it out, so `-o yaml` output matches talosctl byte for byte in the common cases.
//
// js-yaml's own dumper can't produce that layout: yaml.v3 puts a mapping that is a sequence item
// right after "- " and indents its keys by 2 (`- name: a` / `  kind: b`), then rounds every deeper
// level up to the next multiple of 4, while js-yaml pads items to the indent width (`-   name: a`).
// So the block layout is done here, and js-yaml decides each scalar's quoting.
import {CORE_SCHEMA, DUMP_SCHEMA, FAILSAFE_SCHEMA, dump, load, type Schema} from 'js-yaml';
import {formatTimestamp} from './json.js';

const BEST_INDENT = 4;

/**
 * A scalar Go writes from an untagged yaml.Node (COSI metadata does this): quoted only when YAML
 * syntax requires it, so a version `1` is written `1`, not `"1"`, and an empty owner as nothing.
 */
export class UntaggedScalar {
  constructor(readonly text: string) {}
}

/** One YAML document for `value`, ending with a newline. */
export function toGoYaml(value: unknown): string {
  if (isBlockCollection(value)) return renderCollection(value, 0, false) + '\n';
  const multiline = multilineTextOf(value);
  // yaml.v3 indents a top-level block scalar's body by the full indent width.
  if (multiline !== undefined) return literalBlock(multiline, BEST_INDENT, 0) + '\n';
  return flowText(value) + '\n';
}

/**
 * The value Go's yaml.Unmarshal into interface{} reads back from an untagged scalar: talosctl's
 * JSON output is made that way, which is why its `metadata.version` is a number and an empty
 * owner is null. Timestamps stay strings (yaml.v3 keeps them as text for interface{}).
 */
export function resolveUntaggedScalar(text: string): unknown {
  if (text === '') return null;
  if (untaggedText(text) !== text) return text;
  try {
    const value = load(text, {schema: CORE_SCHEMA});
    return typeof value === 'object' && value !== null ? text : value;
  } catch {
    return text;
  }
}

type Mapping = Record<string, unknown>;
type Collection = unknown[] | Mapping;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof UntaggedScalar);
}

function entriesOf(mapping: Mapping): [string, unknown][] {
  return Object.entries(mapping).filter(([, v]) => v !== undefined);
}

function isBlockCollection(value: unknown): value is Collection {
  if (Array.isArray(value)) return value.length > 0;
  return isMapping(value) && entriesOf(value).length > 0;
}

/** The text of a string or untagged scalar that spans lines; those become literal blocks. */
function multilineTextOf(value: unknown): string | undefined {
  const text = value instanceof UntaggedScalar ? value.text : value;
  return typeof text === 'string' && text.includes('\n') ? text : undefined;
}

/** yaml.v3's indent step: +2 to skip a "- " indicator, otherwise up to the next multiple of 4. */
function childIndent(indent: number, insideSequenceItem: boolean): number {
  return insideSequenceItem ? indent + 2 : BEST_INDENT * Math.floor((indent + BEST_INDENT) / BEST_INDENT);
}

/**
 * A block collection whose lines start at column `indent`; with `firstInline` the first line
 * carries no indentation because it continues a "- " already written.
 */
function renderCollection(collection: Collection, indent: number, firstInline: boolean): string {
  const pad = ' '.repeat(indent);
  const lines = Array.isArray(collection)
    ? collection.map((item) => '-' + afterIndicator(item, indent, true))
    : entriesOf(collection).map(([key, item]) => keyText(key) + ':' + afterIndicator(item, indent, false));
  return lines.map((line, i) => (i === 0 && firstInline ? line : pad + line)).join('\n');
}

/** What follows "key:" or "-" for `value`, owned by a collection at column `indent`. */
function afterIndicator(value: unknown, indent: number, insideSequenceItem: boolean): string {
  const inner = childIndent(indent, insideSequenceItem);
  if (isBlockCollection(value)) {
    return insideSequenceItem ? ' ' + renderCollection(value, inner, true) : '\n' + renderCollection(value, inner, false);
  }
  const multiline = multilineTextOf(value);
  if (multiline !== undefined) return ' ' + literalBlock(multiline, inner, indent);
  const text = flowText(value);
  return text === '' ? '' : ' ' + text;
}

function keyText(key: string): string {
  return key.includes('\n') ? doubleQuoted(key) : stringText(key);
}

/** A value that fits on the line after its indicator. */
function flowText(value: unknown): string {
  if (value instanceof UntaggedScalar) return untaggedText(value.text);
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return formatTimestamp(value);
  if (Array.isArray(value)) return '[]';
  switch (typeof value) {
    case 'string':
      return stringText(value);
    case 'number':
      if (Number.isNaN(value)) return '.nan';
      if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
      return String(value);
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'object':
      return '{}';
    default:
      return 'null';
  }
}

function dumpScalar(text: string, schema: Schema, quoteStyle: 'single' | 'double'): string {
  return dump(text, {schema, quoteStyle, lineWidth: -1}).slice(0, -1);
}

function doubleQuoted(text: string): string {
  return dump(text, {forceQuotes: true, quoteStyle: 'double', lineWidth: -1}).slice(0, -1);
}

/** Quoted (single quotes, like libyaml's fallback) only when a plain scalar would not parse back. */
function untaggedText(text: string): string {
  return dumpScalar(text, FAILSAFE_SCHEMA, 'single');
}

/**
 * A string value as yaml.v3 writes it: double quotes when the plain text would read back as
 * another type (`"1"`, `"true"`, `"yes"`, `""`), single quotes when only YAML syntax forbids plain.
 */
function stringText(text: string): string {
  if (text === '') return '""';
  const plain = untaggedText(text);
  if (plain !== text) return plain;
  return dumpScalar(text, DUMP_SCHEMA, 'double');
}

// libyaml refuses a literal block for text with a space before a line break or at the end,
// or with characters a block scalar can't hold; it writes those double-quoted instead.
const NOT_LITERAL_SAFE = /( \n| $|[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff])/;

/** A multi-line string as a literal block (`|`) whose body starts at column `contentIndent`. */
function literalBlock(text: string, contentIndent: number, parentIndent: number): string {
  if (NOT_LITERAL_SAFE.test(text)) return doubleQuoted(text);
  const chomping = !text.endsWith('\n') ? '-' : text === '\n' || text.endsWith('\n\n') ? '+' : '';
  const indentIndicator = text.startsWith(' ') || text.startsWith('\n') ? String(contentIndent - parentIndent) : '';
  const body = chomping === '-' ? text : text.slice(0, -1);
  const pad = ' '.repeat(contentIndent);
  return `|${indentIndicator}${chomping}\n` + body.split('\n').map((line) => (line === '' ? '' : pad + line)).join('\n');
}
