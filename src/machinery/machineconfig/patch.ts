// Machine config patches as talosctl takes them (`--config-patch`, `apply-config -p`, `patch
// machineconfig`): an RFC 6902 JSON patch (a JSON array or YAML list of operations) or a
// strategic merge patch (a partial machine config, one or more documents). Which one a patch is
// follows Talos's order: first a strategic merge patch (it must read as machine config), then a
// JSON array of operations, then a YAML list of them.
//
// Strategic merge as Talos's merge package does it: maps merged key by key, lists appended (except
// the lists Talos replaces or merges by key), a patch's zero value ("", 0, null) leaves the value
// as it is, booleans always win. `$patch: delete` as Talos's delete selectors: it removes the
// document or the key it is in; in a list item it removes the first config item whose field (the
// item's first key) has that string value; a delete that finds nothing to delete is an error.
import { loadYamlDocuments } from '../yaml.js';
import { parseMachineConfig } from './parse.js';
import { renderMachineConfig } from './render.js';
import type { MachineConfigDocument } from './types.js';

export class ConfigPatchError extends Error {
  override name = 'ConfigPatchError';
}

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

export type ConfigPatch =
  | { kind: 'json6902'; source: string; operations: JsonPatchOperation[] }
  | { kind: 'strategic'; source: string; documents: Array<Record<string, unknown>> };

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

/** How a patch argument names its text: `@file`, inline YAML/JSON, or (as talosctl guesses) a bare file name. */
export function patchArgumentSource(argument: string): { file: string } | { inline: string } {
  if (argument.startsWith('@')) return { file: argument.slice(1) };
  // An inline patch has a newline or a space, or starts with `[` or `{`; anything else is a file name.
  if (!/[\n ]/.test(argument) && !argument.startsWith('[') && !argument.startsWith('{')) return { file: argument };
  return { inline: argument };
}

/** Loads every patch argument; `readFile` reads a named file (and names it in its errors). */
export function loadPatches(argumentsList: readonly string[], readFile: (path: string) => string): ConfigPatch[] {
  return argumentsList.map((argument) => {
    const source = patchArgumentSource(argument);
    if ('file' in source && /^https?:\/\/[^/]/.test(source.file)) {
      // talosctl fetches these; we read no network input: the user fetches it and names the file.
      throw new ConfigPatchError(`patch "${source.file}": patches are not fetched over http(s); download it and pass @<file>`);
    }
    if ('file' in source) return loadPatch(readFile(source.file), `patch file "${source.file}"`);
    return loadPatch(source.inline, `inline patch ${describeInline(source.inline)}`);
  });
}

function describeInline(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const shown = oneLine.length > 40 ? `${oneLine.slice(0, 40)}…` : oneLine;
  return shown.includes("'") ? JSON.stringify(shown) : `'${shown}'`;
}

/** Reads one patch's text; `source` names it in errors. */
export function loadPatch(text: string, source: string): ConfigPatch {
  let documents: unknown[];
  try {
    documents = loadYamlDocuments(text).filter((d) => d !== null && d !== undefined);
  } catch (err) {
    throw new ConfigPatchError(`${source}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (documents.length === 0) throw new ConfigPatchError(`${source}: the patch is empty`);
  if (documents.every(isMap)) return { kind: 'strategic', source, documents: checkStrategic(documents as Array<Record<string, unknown>>, source) };
  if (documents.length === 1 && Array.isArray(documents[0])) return { kind: 'json6902', source, operations: checkOperations(documents[0], source) };
  throw new ConfigPatchError(
    `${source}: a patch is either a list of JSON patch operations (RFC 6902) or a partial machine config (strategic merge), not ${describeValue(documents.find((d) => !isMap(d)))}`,
  );
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list next to other documents';
  return `a ${typeof value} (${JSON.stringify(value)})`;
}

/**
 * A strategic merge patch must read as machine config (unknown keys and wrong types are refused
 * as Talos's loader refuses them), with its `$patch: delete` markers taken out first.
 */
function checkStrategic(documents: Array<Record<string, unknown>>, source: string): Array<Record<string, unknown>> {
  const kept = documents.map((doc) => withoutDeleteMarkers(doc, source, '') as Record<string, unknown>);
  try {
    parseMachineConfig(renderMachineConfig({ documents: kept as never }));
  } catch (err) {
    throw new ConfigPatchError(`${source}: not a valid strategic merge patch: ${(err as Error).message}`);
  }
  return documents;
}

/**
 * The value without what `$patch: delete` marks (the key or list item it is in, as Talos's loader
 * takes them out before it decodes the rest), checking every `$patch` says `delete`.
 */
function withoutDeleteMarkers(value: unknown, source: string, path: string): unknown {
  if (Array.isArray(value)) return value.filter((item) => !isDelete(item)).map((item, i) => withoutDeleteMarkers(item, source, `${path}[${i}]`));
  if (!isMap(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$patch') {
      if (item !== 'delete') throw new ConfigPatchError(`${source}: ${path || 'the document'}: $patch: ${JSON.stringify(item)} is not supported; only "$patch: delete"`);
      continue;
    }
    if (!isDelete(item)) out[key] = withoutDeleteMarkers(item, source, path === '' ? key : `${path}.${key}`);
  }
  return out;
}

const OPERATIONS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function checkOperations(list: unknown[], source: string): JsonPatchOperation[] {
  return list.map((item, i) => {
    const where = `${source}: operation ${i + 1}`;
    if (!isMap(item)) throw new ConfigPatchError(`${where}: an operation is a map with "op" and "path", not ${JSON.stringify(item)}`);
    if (typeof item.op !== 'string' || !OPERATIONS.has(item.op)) {
      throw new ConfigPatchError(`${where}: "op" must be one of add, remove, replace, move, copy, test (got ${JSON.stringify(item.op)})`);
    }
    if (typeof item.path !== 'string') throw new ConfigPatchError(`${where} (${item.op}): "path" is missing; it is a JSON pointer such as /machine/network/hostname`);
    if ((item.op === 'move' || item.op === 'copy') && typeof item.from !== 'string') throw new ConfigPatchError(`${where} (${item.op} ${item.path}): "from" is missing`);
    if ((item.op === 'add' || item.op === 'replace' || item.op === 'test') && !Object.hasOwn(item, 'value')) {
      throw new ConfigPatchError(`${where} (${item.op} ${item.path}): "value" is missing`);
    }
    return item as unknown as JsonPatchOperation;
  });
}

// --- RFC 6902 ---------------------------------------------------------------------------------

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`"${pointer}" is not a JSON pointer: it must start with "/"`);
  return pointer.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const clone = <T>(value: T): T => structuredClone(value);

function arrayIndex(list: unknown[], token: string, forAdd: boolean): number {
  if (forAdd && token === '-') return list.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new Error(`"${token}" is not a list index`);
  const index = Number(token);
  if (index > list.length || (!forAdd && index === list.length)) throw new Error(`index ${index} is past the end of the list (length ${list.length})`);
  return index;
}

/** The container that holds the pointer's last token, and that token. */
function parentOf(document: unknown, tokens: string[], pointer: string): { parent: unknown; key: string } {
  let current = document;
  for (const [i, token] of tokens.slice(0, -1).entries()) {
    const at = '/' + tokens.slice(0, i + 1).join('/');
    if (Array.isArray(current)) current = current[arrayIndex(current, token, false)];
    else if (isMap(current) && Object.hasOwn(current, token)) current = current[token];
    else throw new Error(`${at} does not exist (on the way to ${pointer})`);
  }
  return { parent: current, key: tokens[tokens.length - 1] };
}

function getAt(document: unknown, pointer: string): unknown {
  let current = document;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(current)) current = current[arrayIndex(current, token, false)];
    else if (isMap(current) && Object.hasOwn(current, token)) current = current[token];
    else throw new Error(`${pointer} does not exist`);
  }
  return current;
}

function removeAt(document: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new Error('the whole document cannot be removed');
  const { parent, key } = parentOf(document, tokens, pointer);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false), 1)[0];
  if (isMap(parent) && Object.hasOwn(parent, key)) {
    const value = parent[key];
    delete parent[key];
    return value;
  }
  throw new Error(`${pointer} does not exist`);
}

/** Adds (or with `replace` replaces) the value; returns the new document (the root may be replaced). */
function addAt(document: unknown, pointer: string, value: unknown, replace: boolean): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(document, tokens, pointer);
  if (Array.isArray(parent)) {
    if (replace) parent[arrayIndex(parent, key, false)] = value;
    else parent.splice(arrayIndex(parent, key, true), 0, value);
  } else if (isMap(parent)) {
    if (replace && !Object.hasOwn(parent, key)) throw new Error(`${pointer} does not exist, so it cannot be replaced (use "add")`);
    parent[key] = value;
  } else {
    throw new Error(`the parent of ${pointer} is a ${typeof parent}, not a map or a list`);
  }
  return document;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Applies RFC 6902 operations to a copy of `document`; errors name the operation and its path. */
export function applyJsonPatch(document: unknown, operations: readonly JsonPatchOperation[], source = 'JSON patch'): unknown {
  let result = clone(document);
  operations.forEach((operation, i) => {
    try {
      switch (operation.op) {
        case 'add':
          result = addAt(result, operation.path, clone(operation.value), false);
          break;
        case 'replace':
          result = addAt(result, operation.path, clone(operation.value), true);
          break;
        case 'remove':
          removeAt(result, operation.path);
          break;
        case 'move': {
          if (operation.path.startsWith(`${operation.from}/`)) throw new Error(`${operation.from} cannot be moved into itself`);
          const value = removeAt(result, operation.from!);
          result = addAt(result, operation.path, value, false);
          break;
        }
        case 'copy':
          result = addAt(result, operation.path, clone(getAt(result, operation.from!)), false);
          break;
        case 'test':
          if (!deepEqual(getAt(result, operation.path), operation.value)) {
            throw new Error(`test failed: ${operation.path} is ${JSON.stringify(getAt(result, operation.path))}, not ${JSON.stringify(operation.value)}`);
          }
          break;
      }
    } catch (err) {
      if (err instanceof ConfigPatchError) throw err;
      throw new ConfigPatchError(`${source}: operation ${i + 1} (${operation.op} ${operation.path}): ${(err as Error).message}`);
    }
  });
  return result;
}

// --- strategic merge --------------------------------------------------------------------------

/** Lists Talos replaces instead of appending to (`merge:"replace"`), by path in the v1alpha1 document. */
const REPLACED = new Set(['cluster.network.podSubnets', 'cluster.network.serviceSubnets', 'cluster.apiServer.auditPolicy']);

/** Lists whose items Talos merges when they name the same thing, and the keys that name it. */
function itemKeys(schemaPath: string): string[] | undefined {
  if (schemaPath === 'machine.network.interfaces') return ['interface', 'deviceSelector'];
  if (schemaPath === 'machine.network.interfaces[].vlans') return ['vlanId'];
  return undefined;
}

/**
 * Paths are written as Talos writes them in its delete errors, a list item as `.[i]`
 * (`machine.network.interfaces.[0].vlans`); the schema tables above name list items `[]`.
 */
const schemaPathOf = (path: string): string => path.replace(/\.\[\d+\]/g, '[]');

const isDelete = (value: unknown): boolean => isMap(value) && value.$patch === 'delete';

/** Go's zero values: a patch holding one changes nothing (booleans excepted: false is merged). */
const isZero = (value: unknown): boolean => value === null || value === undefined || value === '' || value === 0;

/** A `$patch: delete` that finds nothing to delete; applyStrategic words it as Talos does, naming the document. */
class DeleteLookupError extends Error {
  constructor(readonly path: string) {
    super(`failed to delete path '${path}': lookup failed`);
  }
}

/** Talos refuses a delete marker whose place is not in the config: the first one inside `value`, if any. */
function refuseDeleteMarkers(value: unknown, path: string): void {
  const join = (key: string) => (path === '' ? key : `${path}.${key}`);
  const entries = Array.isArray(value) ? value.map((item, i) => [`[${i}]`, item] as const) : isMap(value) ? Object.entries(value) : [];
  for (const [key, item] of entries) {
    if (isDelete(item)) throw new DeleteLookupError(join(key));
    refuseDeleteMarkers(item, join(key));
  }
}

function sameItem(a: unknown, b: unknown, keys: string[]): boolean {
  return isMap(a) && isMap(b) && keys.some((key) => b[key] !== undefined && deepEqual(a[key], b[key]));
}

/**
 * A list item `{<key>: <value>, $patch: delete}` removes the first config item whose `<key>` is
 * that string (Talos takes the item's first key other than `$patch`); none is an error.
 */
function deleteSelectedItem(list: unknown[], marker: Record<string, unknown>, path: string): void {
  const selector = Object.entries(marker).find(([key]) => key !== '$patch');
  if (!selector) throw new ConfigPatchError(`no key:val found in sequence node for path ${path}`);
  const [key, value] = selector;
  const text = typeof value === 'object' && value !== null ? '' : String(value);
  const index = list.findIndex((item) => isMap(item) && typeof item[key] === 'string' && item[key] === text);
  if (index === -1) throw new DeleteLookupError(path);
  list.splice(index, 1);
}

function mergeList(left: unknown[], right: unknown[], path: string): unknown[] {
  // As in Talos, the patch's delete items act on the config first; then the other items merge.
  const result = [...left];
  const additions: unknown[] = [];
  for (const item of right) {
    if (isDelete(item)) deleteSelectedItem(result, item as Record<string, unknown>, `${path}.[${additions.length}]`);
    else additions.push(item);
  }
  if (REPLACED.has(schemaPathOf(path))) return additions.map(stripMarkers);
  const keys = itemKeys(schemaPathOf(path));
  additions.forEach((item, i) => {
    const index = keys ? result.findIndex((existing) => sameItem(existing, item, keys)) : -1;
    if (index !== -1) {
      result[index] = mergeValue(result[index], item, `${path}.[${i}]`);
    } else {
      refuseDeleteMarkers(item, `${path}.[${i}]`);
      result.push(stripMarkers(item));
    }
  });
  return result;
}

function stripMarkers(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => !isDelete(item)).map(stripMarkers);
  if (!isMap(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key, item]) => key !== '$patch' && !isDelete(item)).map(([key, item]) => [key, stripMarkers(item)]));
}

/** The patch's value where the config has nothing to merge it into: taken as it is, once it deletes nothing. */
function taken(right: unknown, path: string): unknown {
  refuseDeleteMarkers(right, path);
  return stripMarkers(right);
}

function mergeValue(left: unknown, right: unknown, path: string): unknown {
  if (isZero(right)) return left;
  if (isMap(right)) {
    if (!isMap(left)) return taken(right, path);
    if (REPLACED.has(schemaPathOf(path))) return stripMarkers(right);
    const result: Record<string, unknown> = { ...left };
    for (const [key, item] of Object.entries(right)) {
      if (key === '$patch') continue;
      const childPath = path === '' ? key : `${path}.${key}`;
      // A field that is already unset is fine to delete (Talos zeroes a struct field).
      if (isDelete(item)) delete result[key];
      else result[key] = Object.hasOwn(result, key) && !isZero(result[key]) ? mergeValue(result[key], item, childPath) : taken(item, childPath);
    }
    return result;
  }
  if (Array.isArray(right)) return Array.isArray(left) ? mergeList(left, right, path) : taken(right, path);
  return right;
}

/** A document's identity in a multi-document config: kind and name (the v1alpha1 document has no kind). */
function documentIdentity(doc: Record<string, unknown>): string {
  return `${String(doc.kind ?? '')}/${String(doc.name ?? '')}`;
}

/** Talos's wording of a delete that found nothing, for the document the patch document targets. */
function deleteFailure(doc: Record<string, unknown>, err: DeleteLookupError, source: string): ConfigPatchError {
  const where = doc.kind === undefined ? '/v1alpha1' : `${String(doc.apiVersion ?? '')}/${String(doc.kind)}`;
  const text = doc.kind !== undefined && doc.name !== undefined
    ? `named patch delete: document ${where}: ${err.message}`
    : `patch delete: path '${err.path}' in document '${where}': ${err.message}`;
  return new ConfigPatchError(`${source}: ${text}`);
}

function applyStrategic(config: Pick<MachineConfigDocument, 'v1alpha1' | 'documents'>, patch: Extract<ConfigPatch, { kind: 'strategic' }>) {
  let v1alpha1 = config.v1alpha1 as unknown as Record<string, unknown> | undefined;
  const documents = [...(config.documents as unknown as Array<Record<string, unknown>>)];
  for (const doc of patch.documents) {
    try {
      if (doc.kind === undefined) {
        v1alpha1 = isDelete(doc) ? undefined : (mergeValue(v1alpha1 ?? {}, doc, '') as Record<string, unknown>);
        continue;
      }
      const index = documents.findIndex((existing) => documentIdentity(existing) === documentIdentity(doc));
      if (isDelete(doc)) {
        if (index !== -1) documents.splice(index, 1);
      } else if (index !== -1) {
        documents[index] = mergeValue(documents[index], doc, '') as Record<string, unknown>;
      } else {
        documents.push(taken(doc, '') as Record<string, unknown>);
      }
    } catch (err) {
      if (err instanceof DeleteLookupError) throw deleteFailure(doc, err, patch.source);
      if (err instanceof ConfigPatchError) throw new ConfigPatchError(`${patch.source}: ${err.message}`);
      throw err;
    }
  }
  return { v1alpha1, documents };
}

/**
 * Applies the patches in order to a machine config and returns the result, parsed (so a patch that
 * leaves keys or types Talos refuses is reported here, naming the patches). JSON patches work on
 * single-document configs only, as in Talos.
 */
export function applyConfigPatches(config: MachineConfigDocument, patches: readonly ConfigPatch[]): MachineConfigDocument {
  if (patches.length === 0) return config;
  let current: Pick<MachineConfigDocument, 'v1alpha1' | 'documents'> = { v1alpha1: clone(config.v1alpha1), documents: clone(config.documents) };
  for (const patch of patches) {
    if (patch.kind === 'strategic') {
      current = applyStrategic(current, patch) as unknown as typeof current;
      continue;
    }
    const count = (current.v1alpha1 ? 1 : 0) + current.documents.length;
    if (count !== 1) throw new ConfigPatchError(`${patch.source}: JSON6902 patches are not supported for multi-document machine configuration; use a strategic merge patch`);
    const only = (current.v1alpha1 ?? current.documents[0]) as unknown;
    const patched = applyJsonPatch(only, patch.operations, patch.source);
    if (!isMap(patched)) throw new ConfigPatchError(`${patch.source}: the result is not a map, so not a machine config`);
    current = current.v1alpha1 ? { v1alpha1: patched as never, documents: [] } : { documents: [patched as never] };
  }
  const sources = patches.map((p) => p.source).join(', ');
  try {
    return parseMachineConfig(renderMachineConfig(current));
  } catch (err) {
    throw new ConfigPatchError(`the machine config after ${sources} is not valid: ${(err as Error).message}`);
  }
}
