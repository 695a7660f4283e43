import { documentKinds, isDocumentKind } from './documents.js';
import { MachineConfigParseError } from './errors.js';
import { decodeBase64Length } from './net.js';
import { v1alpha1Shape, type Shape } from './schema.js';
import type { ConfigDocument, MachineConfigDocument, V1Alpha1Config } from './types.js';
import { toGoYAML } from './yaml-emit.js';
import { decodeText, readDocuments, type SourceNode } from './yaml-source.js';

// Decoding follows Talos' configloader: documents are detected by their keys,
// identified by apiVersion/kind/name, decoded against the kind's key list (type
// errors first, then unknown keys), and every failure is one error.

/** Thrown when a value's own decoder fails; like Go, that stops decoding at once. */
class DecodeAbort extends Error {}

type YamlTag = 'seq' | 'map' | 'str' | 'int' | 'float' | 'bool' | 'null';

function yamlTag(value: unknown): YamlTag {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'seq';
  switch (typeof value) {
    case 'object':
      return 'map';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    default:
      return 'str';
  }
}

function goTypeName(shape: Shape): string {
  switch (shape.kind) {
    case 'string':
    case 'base64':
      return 'string';
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'any':
      return 'interface {}';
    case 'args':
      return '[]string';
    case 'list':
      return `[]${goTypeName(shape.item)}`;
    case 'map':
      return `map[string]${goTypeName(shape.value)}`;
    case 'struct':
      return shape.goType.replace(/^\*/, '');
  }
}

/** Value Go leaves in a field whose YAML value is null. */
function zeroValue(shape: Shape): unknown {
  switch (shape.kind) {
    case 'string':
    case 'base64':
    case 'args':
      return '';
    case 'bool':
      return false;
    case 'int':
      return 0;
    case 'list':
      return [];
    case 'map':
    case 'struct':
      return {};
    case 'any':
      return null;
  }
}

const isScalar = (value: unknown) => value === null || typeof value !== 'object';

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sortedObject(entries: Array<[string, unknown]>): Record<string, unknown> | undefined {
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

interface Decoded {
  value: unknown;
  /** The unknown keys found in this value, shaped like the value (as siderolabs/gen xyaml reports them). */
  unknown?: unknown;
}

class ValueDecoder {
  readonly typeErrors: string[] = [];

  decode(shape: Shape, value: unknown, node: SourceNode): Decoded {
    if (value === null || value === undefined) return { value: undefined };
    switch (shape.kind) {
      case 'any':
        return { value };
      case 'string':
      case 'base64': {
        if (!isScalar(value)) return this.mismatch(shape, value, node);
        const text = typeof value === 'string' ? value : (node.text ?? String(value));
        if (shape.kind === 'base64') {
          const decoded = decodeBase64Length(text);
          if (typeof decoded !== 'number') throw new DecodeAbort(decoded.error);
        }
        return { value: text };
      }
      case 'bool':
        return typeof value === 'boolean' ? { value } : this.mismatch(shape, value, node);
      case 'int':
        return Number.isInteger(value) ? { value } : this.mismatch(shape, value, node);
      case 'args':
        if (isScalar(value)) return { value: typeof value === 'string' ? value : (node.text ?? String(value)) };
        if (Array.isArray(value) && value.every(isScalar)) return { value: value.map((v) => String(v ?? '')) };
        return this.mismatch(shape, value, node);
      case 'list':
        return Array.isArray(value) ? this.decodeList(shape.item, value, node) : this.mismatch(shape, value, node);
      case 'map':
        return isMapping(value) ? this.decodeMap(shape.value, value, node) : this.mismatch(shape, value, node);
      case 'struct':
        return isMapping(value) ? this.decodeStruct(shape.fields, value, node) : this.mismatch(shape, value, node);
    }
  }

  private decodeList(itemShape: Shape, value: unknown[], node: SourceNode): Decoded {
    const unknown: unknown[] = [];
    const items = value.map((item, i) => {
      const decoded = this.decode(itemShape, item, node.items?.[i] ?? node);
      if (decoded.unknown !== undefined) unknown.push(decoded.unknown);
      return decoded.value === undefined ? zeroValue(itemShape) : decoded.value;
    });
    return { value: items, unknown: unknown.length > 0 ? unknown : undefined };
  }

  private decodeMap(valueShape: Shape, value: Record<string, unknown>, node: SourceNode): Decoded {
    const unknown: Array<[string, unknown]> = [];
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const decoded = this.decode(valueShape, item, node.entries?.get(key) ?? node);
      if (decoded.unknown !== undefined) unknown.push([key, decoded.unknown]);
      // Struct values are pointers in Talos: a null entry stays null so validation can report it.
      out[key] = decoded.value ?? (valueShape.kind === 'struct' ? null : zeroValue(valueShape));
    }
    return { value: out, unknown: sortedObject(unknown) };
  }

  private decodeStruct(fields: Record<string, Shape>, value: Record<string, unknown>, node: SourceNode): Decoded {
    const unknown: Array<[string, unknown]> = [];
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (!Object.hasOwn(fields, key)) {
        unknown.push([key, item]);
        continue;
      }
      const decoded = this.decode(fields[key], item, node.entries?.get(key) ?? node);
      if (decoded.unknown !== undefined) unknown.push([key, decoded.unknown]);
      if (decoded.value !== undefined) out[key] = decoded.value;
    }
    return { value: out, unknown: sortedObject(unknown) };
  }

  /** Records a Go-style type error (yaml.v3 `terror`) and leaves the field unset. */
  private mismatch(shape: Shape, value: unknown, node: SourceNode): Decoded {
    const tag = yamlTag(value);
    let shown = '';
    if (tag !== 'seq' && tag !== 'map') {
      const text = node.text ?? String(value);
      shown = text.length > 10 ? ` \`${text.slice(0, 7)}...\`` : ` \`${text}\``;
    }
    this.typeErrors.push(`line ${node.line}: cannot unmarshal !!${tag}${shown} into ${goTypeName(shape)}`);
    return { value: undefined };
  }
}

/** Decodes one document against its kind's shape; returns the cleaned value or the error text. */
function decodeDocument(shape: Shape, goType: string, kind: string, value: unknown, root: SourceNode): Record<string, unknown> | string {
  const decoder = new ValueDecoder();
  let decoded: Decoded;
  try {
    decoded = decoder.decode(shape, value, root);
  } catch (err) {
    if (err instanceof DecodeAbort) return `error decoding ${kind} to ${goType}: ${err.message}`;
    throw err;
  }
  if (decoder.typeErrors.length > 0) {
    return `error decoding ${kind} to ${goType}: yaml: unmarshal errors:\n  ${decoder.typeErrors.join('\n  ')}`;
  }
  if (decoded.unknown !== undefined) {
    return `unknown keys found during decoding:\n${toGoYAML(decoded.unknown as Record<string, unknown>)}`;
  }
  return decoded.value as Record<string, unknown>;
}

const v1alpha1Keys = new Set(['machine', 'cluster', 'debug', 'persist']);

type Detected =
  | { kind: 'v1alpha1' }
  | { kind: 'document'; name: ConfigDocument['kind']; version: string; kindText: string }
  | { error: string };

/** Talos' key-based kind detection for one document. */
function detectKind(root: SourceNode): Detected {
  let kind = '';
  let version = '';
  for (const [key, node] of root.entries ?? []) {
    if (key === 'kind') kind = node.text ?? '';
    else if (key === 'apiVersion') version = node.text ?? '';
    else if (v1alpha1Keys.has(key)) version = 'v1alpha1';
  }
  if (version === 'v1alpha1' && kind === '') return { kind: 'v1alpha1' };
  if (kind === '') return { error: 'missing kind' };
  if (version === '') return { error: 'missing apiVersion' };
  if (version !== 'v1alpha1' || !isDocumentKind(kind)) {
    return { error: `${JSON.stringify(kind)} ${JSON.stringify(version)}: not registered` };
  }
  return { kind: 'document', name: kind, version, kindText: kind };
}

/**
 * Parses a multi-document machine configuration. Throws `MachineConfigParseError`
 * with Talos' wording when the text is not a loadable configuration.
 */
export function parseMachineConfig(input: string | Uint8Array): MachineConfigDocument {
  const { raw, bytes } = decodeText(input);
  const result: MachineConfigDocument = { raw, bytes, documents: [] };
  const seen = new Set<string>();

  for (const { value, root } of readDocuments(raw)) {
    if (value === null || value === undefined) continue;
    if (!isMapping(value)) throw new MachineConfigParseError(`expected a YAML document at line ${root.line}`, root.line);

    const idPart = (key: string) => root.entries?.get(key)?.text ?? '';
    const id = `${idPart('apiVersion')}/${idPart('kind') || 'v1alpha1'}/${idPart('name')}`;
    if (seen.has(id)) throw new MachineConfigParseError(`duplicate document ${id} is not allowed (line ${root.line})`, root.line);
    seen.add(id);

    const fail = (message: string) =>
      new MachineConfigParseError(`error decoding document ${id} (line ${root.line}): ${message}`, root.line);
    const detected = detectKind(root);
    if ('error' in detected) throw fail(detected.error);

    if (detected.kind === 'v1alpha1') {
      // Talos passes the (empty) kind into this message, hence the double space.
      const decoded = decodeDocument(v1alpha1Shape, '*v1alpha1.Config', '', value, root);
      if (typeof decoded === 'string') throw fail(decoded);
      if (result.v1alpha1) throw new MachineConfigParseError('duplicate v1alpha1.Config', root.line);
      result.v1alpha1 = decoded as V1Alpha1Config;
    } else {
      const spec = documentKinds[detected.name];
      const decoded = decodeDocument(spec.shape, spec.goType, detected.kindText, value, root);
      if (typeof decoded === 'string') throw fail(decoded);
      result.documents.push(decoded as unknown as ConfigDocument);
    }
  }

  if (!result.v1alpha1 && result.documents.length === 0) throw new MachineConfigParseError('config not found');
  return result;
}
