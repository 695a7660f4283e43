import { documentKinds, isDocumentKind } from './documents.js';
import { MachineConfigParseError } from './errors.js';
import { decodeBase64Length } from './net.js';
import { v1alpha1Shape, type Shape } from './schema.js';
import type { ConfigDocument, MachineConfigDocument, V1Alpha1Config } from './types.js';
import { toGoYaml } from '../yaml-emit.js';
import { decodeText, readDocuments, type SourceNode } from './yaml-source.js';

// Decoding follows Talos' configloader: documents are detected by their keys,
// identified by apiVersion/kind/name, decoded against the kind's key list (type
// errors first, then unknown keys), and every failure is one error.

interface Location {
  line: number;
  path: string;
}

/** Thrown when a value's own decoder fails; like Go, that stops decoding at once. */
class DecodeAbort extends Error {
  constructor(
    message: string,
    readonly location: Location,
  ) {
    super(message);
  }
}

const childPath = (path: string, key: string) => (path === '' ? key : /^[A-Za-z0-9_]+$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`);

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

/** Unknown-key maps print with sorted keys, as Go marshals maps. */
function sortedObject(entries: Array<[string, unknown]>): Record<string, unknown> | undefined {
  if (entries.length === 0) return undefined;
  const byKey = new Map(entries);
  return Object.fromEntries([...byKey.keys()].sort().map((key) => [key, byKey.get(key)]));
}

interface Decoded {
  value: unknown;
  /** The unknown keys found in this value, shaped like the value (as siderolabs/gen xyaml reports them). */
  unknown?: unknown;
}

class ValueDecoder {
  readonly typeErrors: string[] = [];
  /** Where the first type error or unknown key is, for pointing users at it. */
  firstTypeError?: Location;
  firstUnknownKey?: Location;

  decode(shape: Shape, value: unknown, node: SourceNode, path: string): Decoded {
    if (value === null || value === undefined) return { value: undefined };
    switch (shape.kind) {
      case 'any':
        return { value };
      case 'string':
      case 'base64': {
        if (!isScalar(value)) return this.mismatch(shape, value, node, path);
        const text = typeof value === 'string' ? value : (node.text ?? String(value));
        if (shape.kind === 'base64') {
          const decoded = decodeBase64Length(text);
          if (typeof decoded !== 'number') throw new DecodeAbort(decoded.error, { line: node.line, path });
        }
        return { value: text };
      }
      case 'bool':
        return typeof value === 'boolean' ? { value } : this.mismatch(shape, value, node, path);
      case 'int':
        return Number.isInteger(value) ? { value } : this.mismatch(shape, value, node, path);
      case 'args':
        if (isScalar(value)) return { value: typeof value === 'string' ? value : (node.text ?? String(value)) };
        if (Array.isArray(value) && value.every(isScalar)) return { value: value.map((v) => String(v ?? '')) };
        return this.mismatch(shape, value, node, path);
      case 'list':
        return Array.isArray(value) ? this.decodeList(shape.item, value, node, path) : this.mismatch(shape, value, node, path);
      case 'map':
        return isMapping(value) ? this.decodeMap(shape.value, value, node, path) : this.mismatch(shape, value, node, path);
      case 'struct':
        return isMapping(value) ? this.decodeStruct(shape.fields, value, node, path) : this.mismatch(shape, value, node, path);
    }
  }

  private decodeList(itemShape: Shape, value: unknown[], node: SourceNode, path: string): Decoded {
    const unknown: unknown[] = [];
    const items = value.map((item, i) => {
      const decoded = this.decode(itemShape, item, node.items?.[i] ?? node, `${path}[${i}]`);
      if (decoded.unknown !== undefined) unknown.push(decoded.unknown);
      return decoded.value === undefined ? zeroValue(itemShape) : decoded.value;
    });
    return { value: items, unknown: unknown.length > 0 ? unknown : undefined };
  }

  private decodeMap(valueShape: Shape, value: Record<string, unknown>, node: SourceNode, path: string): Decoded {
    const unknown: Array<[string, unknown]> = [];
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const decoded = this.decode(valueShape, item, node.entries?.get(key)?.value ?? node, `${path}[${JSON.stringify(key)}]`);
      if (decoded.unknown !== undefined) unknown.push([key, decoded.unknown]);
      // Struct values are pointers in Talos: a null entry stays null so validation can report it.
      out[key] = decoded.value ?? (valueShape.kind === 'struct' ? null : zeroValue(valueShape));
    }
    return { value: out, unknown: sortedObject(unknown) };
  }

  private decodeStruct(fields: Record<string, Shape>, value: Record<string, unknown>, node: SourceNode, path: string): Decoded {
    const unknown: Array<[string, unknown]> = [];
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const entry = node.entries?.get(key);
      if (!Object.hasOwn(fields, key)) {
        unknown.push([key, item]);
        this.firstUnknownKey ??= { line: entry?.keyLine ?? node.line, path: childPath(path, key) };
        continue;
      }
      const decoded = this.decode(fields[key], item, entry?.value ?? node, childPath(path, key));
      if (decoded.unknown !== undefined) unknown.push([key, decoded.unknown]);
      if (decoded.value !== undefined) out[key] = decoded.value;
    }
    return { value: out, unknown: sortedObject(unknown) };
  }

  /** Records a Go-style type error (yaml.v3 `terror`) and leaves the field unset. */
  private mismatch(shape: Shape, value: unknown, node: SourceNode, path: string): Decoded {
    this.firstTypeError ??= { line: node.line, path };
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

type DocumentDecoding = { value: Record<string, unknown> } | { error: string; location?: Location };

/** Decodes one document against its kind's shape: the cleaned value, or the error and where it is. */
function decodeDocument(shape: Shape, goType: string, kind: string, value: unknown, root: SourceNode): DocumentDecoding {
  const decoder = new ValueDecoder();
  let decoded: Decoded;
  try {
    decoded = decoder.decode(shape, value, root, '');
  } catch (err) {
    if (err instanceof DecodeAbort) return { error: `error decoding ${kind} to ${goType}: ${err.message}`, location: err.location };
    throw err;
  }
  if (decoder.typeErrors.length > 0) {
    return {
      error: `error decoding ${kind} to ${goType}: yaml: unmarshal errors:\n  ${decoder.typeErrors.join('\n  ')}`,
      location: decoder.firstTypeError,
    };
  }
  if (decoded.unknown !== undefined) {
    return {
      error: `unknown keys found during decoding:\n${toGoYaml(decoded.unknown as Record<string, unknown>)}`,
      location: decoder.firstUnknownKey,
    };
  }
  return { value: decoded.value as Record<string, unknown> };
}

const v1alpha1Keys = new Set(['machine', 'cluster', 'debug', 'persist']);

type Detected =
  | { kind: 'v1alpha1' }
  | { kind: 'document'; name: ConfigDocument['kind'] }
  | { error: string };

/** Talos' key-based kind detection for one document. */
function detectKind(root: SourceNode): Detected {
  let kind = '';
  let version = '';
  for (const [key, { value }] of root.entries ?? []) {
    if (key === 'kind') kind = value.text ?? '';
    else if (key === 'apiVersion') version = value.text ?? '';
    else if (v1alpha1Keys.has(key)) version = 'v1alpha1';
  }
  if (version === 'v1alpha1' && kind === '') return { kind: 'v1alpha1' };
  if (kind === '') return { error: 'missing kind' };
  if (version === '') return { error: 'missing apiVersion' };
  if (version !== 'v1alpha1' || !isDocumentKind(kind)) {
    return { error: `${JSON.stringify(kind)} ${JSON.stringify(version)}: not registered` };
  }
  return { kind: 'document', name: kind };
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
    const at = { line: root.line };
    if (!isMapping(value)) throw new MachineConfigParseError(`expected a YAML document at line ${root.line}`, at);

    const idPart = (key: string) => root.entries?.get(key)?.value.text ?? '';
    const id = `${idPart('apiVersion')}/${idPart('kind') || 'v1alpha1'}/${idPart('name')}`;
    if (seen.has(id)) throw new MachineConfigParseError(`duplicate document ${id} is not allowed (line ${root.line})`, at);
    seen.add(id);

    const fail = (message: string, location?: Location) =>
      new MachineConfigParseError(`error decoding document ${id} (line ${root.line}): ${message}`, location ?? at);
    const detected = detectKind(root);
    if ('error' in detected) throw fail(detected.error);

    // Talos passes the (empty) kind of a v1alpha1 document into its decode error, hence `''`.
    const spec =
      detected.kind === 'v1alpha1'
        ? { shape: v1alpha1Shape, goType: '*v1alpha1.Config', kind: '' }
        : { ...documentKinds[detected.name], kind: detected.name };
    const decoded = decodeDocument(spec.shape, spec.goType, spec.kind, value, root);
    if ('error' in decoded) throw fail(decoded.error, decoded.location);

    if (detected.kind === 'document') {
      result.documents.push(decoded.value as unknown as ConfigDocument);
    } else if (result.v1alpha1) {
      throw new MachineConfigParseError('duplicate v1alpha1.Config', at);
    } else {
      result.v1alpha1 = decoded.value as V1Alpha1Config;
    }
  }

  if (!result.v1alpha1 && result.documents.length === 0) throw new MachineConfigParseError('config not found');
  return result;
}
