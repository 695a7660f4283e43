// JSON text the way talosctl's Go encoder writes it, so scripts written against talosctl keep
// working: map keys sorted at every level, `<`, `>`, `&`, U+2028 and U+2029 escaped, BigInt as
// plain digits (JSON.stringify refuses BigInt) and Dates as RFC 3339 strings.
import {formatGoTimestamp} from '../../machinery/yaml-emit.js';

const GO_EXTRA_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};


function encodeString(text: string): string {
  return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (c) => GO_EXTRA_ESCAPES[c]);
}

/** Go sorts map keys by their UTF-8 bytes, which is code point order (not UTF-16 order). */
function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** An object's entries in Go's map order, leaving out undefined values as JSON.stringify does. */
export function sortedEntries(object: object): [string, unknown][] {
  return Object.entries(object)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => compareCodePoints(a, b));
}

/**
 * How object keys are ordered: `sorted` as Go writes a map (resources' specs, which talosctl
 * decodes into maps), `insertion` as Go writes a struct or protojson a message (declaration order).
 */
export type KeyOrder = 'sorted' | 'insertion';

/**
 * Encodes `value` like Go's json.Marshal (indent '') or json.MarshalIndent(value, '', indent).
 * Numbers that aren't finite have no JSON form and are written as null.
 */
export function encodeJson(value: unknown, indent = '', keyOrder: KeyOrder = 'sorted'): string {
  const newline = indent === '' ? '' : '\n';
  const colon = indent === '' ? ':' : ': ';
  const encode = (v: unknown, depth: string): string => {
    if (v === null || v === undefined) return 'null';
    switch (typeof v) {
      case 'string':
        return encodeString(v);
      case 'number':
        return Number.isFinite(v) ? String(v) : 'null';
      case 'bigint':
        return v.toString();
      case 'boolean':
        return String(v);
      case 'object':
        break;
      default:
        return 'null';
    }
    if (v instanceof Date) return encodeString(formatGoTimestamp(v));
    const inner = depth + indent;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      const items = v.map((item) => newline + inner + encode(item, inner));
      return `[${items.join(',')}${newline}${depth}]`;
    }
    const entries = keyOrder === 'sorted' ? sortedEntries(v as object) : Object.entries(v as object).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return '{}';
    const members = entries.map(([key, item]) => newline + inner + encodeString(key) + colon + encode(item, inner));
    return `{${members.join(',')}${newline}${depth}}`;
  };
  return encode(value, '');
}
