// The talosconfig file as talosctl reads and writes it (talos-api.md §6.2), written as Go's yaml.v3
// writes it. Only node builtins and the YAML modules here: every command that talks to a node
// loads this at start-up.
import type {X509Certificate} from 'node:crypto';
import * as fs from 'node:fs';
import {isIPv4, isIPv6} from 'node:net';
import * as path from 'node:path';
import {writeFileAtomic} from '../machinery/fs-atomic.js';
import {YAMLException} from 'js-yaml';
import {toGoYaml} from '../machinery/yaml-emit.js';
import {certificateInfo, isBase64, issuedByOneOf, normalizePrivateKeyPem, PemError, pemCertificates, pemPrivateKey} from '../machinery/pem.js';
import {loadYamlDocuments} from '../machinery/yaml.js';
import {quoteInput} from './quote.js';
import type {ClientCertificateFacts} from './errors.js';

/** `ca`, `crt` and `key` hold base64 of the PEM text. */
export interface TalosContext {
  endpoints?: string[];
  nodes?: string[];
  ca?: string;
  crt?: string;
  key?: string;
  cluster?: string;
  auth?: unknown;
  'proxy-url'?: string;
}

export interface TalosConfig {
  context?: string;
  contexts?: Record<string, TalosContext>;
}

export interface ResolvedContext {
  name: string;
  context: TalosContext;
  path: string;
}

/** A problem with the user's talosconfig; the message names the file and says how to fix it. */
export class TalosConfigError extends Error {
  override name = 'TalosConfigError';
}

export const APID_PORT = 50000;
const HTTPS_PORT = 443;
/** Where Talos mounts a service account's talosconfig inside a pod (read-only). */
const SERVICE_ACCOUNT_TALOSCONFIG = '/var/run/secrets/talos.dev/config';

/** `$TALOS_HOME` when it is an absolute path, else `~/.talos`: where the talosconfig and local clusters live. */
export function talosHome(env: NodeJS.ProcessEnv, home: string): string {
  return env.TALOS_HOME && path.isAbsolute(env.TALOS_HOME) ? env.TALOS_HOME : path.join(home, '.talos');
}

/**
 * An explicit --talosconfig always wins (it is created if missing). Otherwise the first existing
 * candidate of $TALOSCONFIG, $TALOS_HOME/config (absolute TALOS_HOME only) or ~/.talos/config,
 * and the service-account mount; if none exists, the first candidate, which is where we'd create one.
 */
export function resolveTalosconfigPath(flag: string | undefined, env: NodeJS.ProcessEnv, home: string): string {
  if (flag) return flag;
  const candidates = [env.TALOSCONFIG, path.join(talosHome(env, home), 'config'), SERVICE_ACCOUNT_TALOSCONFIG].filter(
    (candidate): candidate is string => Boolean(candidate),
  );
  return candidates.find((candidate) => fs.existsSync(candidate)) ?? candidates[0];
}

/** Where a file's path came from: how messages name the file, and what the user can do instead. */
export interface FileSource {
  /** e.g. `talosconfig`, `CA certificate (--ca)` */
  what: string;
  /** e.g. `point --talosconfig / $TALOSCONFIG at a talosconfig file` */
  fix: string;
}

const TALOSCONFIG_SOURCE: FileSource = {what: 'talosconfig', fix: 'point --talosconfig / $TALOSCONFIG at a talosconfig file'};

/** A user-named file that cannot be read; `code` is the errno code when there is one (ENOENT: it does not exist). */
export class UserFileError extends TalosConfigError {
  override name = 'TalosConfigError';
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/**
 * Reads and checks a talosconfig. A missing file is an empty config unless `mustExist`; an empty
 * file is an empty config.
 */
export function readTalosconfig(configPath: string, source = TALOSCONFIG_SOURCE, mustExist = false): TalosConfig {
  let text: string;
  try {
    text = readRegularFile(configPath, source);
  } catch (error) {
    if (error instanceof UserFileError && error.code === 'ENOENT' && !mustExist) return {};
    throw error;
  }
  const invalid = (problem: string) =>
    new TalosConfigError(`${source.what} "${configPath}" is invalid: ${problem}; fix the file, or ${source.fix}`);
  let documents: unknown[];
  try {
    documents = loadYamlDocuments(text, {filename: configPath});
  } catch (error) {
    throw invalid(`it is not valid YAML: ${describeYamlError(error)}`);
  }
  if (documents.length > 1) throw invalid('it holds more than one YAML document');
  const document = documents[0] ?? {};
  if (!isPlainObject(document)) throw invalid(`the top level must be a map (got ${describe(document)})`);
  return checkConfig(document, invalid);
}

/**
 * The text of a file the user named (a flag, an argument, $TALOSCONFIG): the one reader for such
 * files. Anything but a regular file (a FIFO, /dev/zero, a directory) is refused before reading:
 * it could block or never end. Every failure names the file and where it came from.
 */
export function readRegularFile(filePath: string, source: FileSource): string {
  const where = `${source.what} "${filePath}"`;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO waits for a writer otherwise, forever and deaf to Ctrl-C. It changes nothing for regular files.
    fd = fs.openSync(filePath, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserFileError(`${where} does not exist; check the path, or ${source.fix}`, code);
    throw new UserFileError(`cannot read ${where}: ${errnoText(error)}; check the path and its permissions, or ${source.fix}`, code);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new UserFileError(`${where} is ${fileKind(stat)}, not a regular file; ${source.fix}`);
    return fs.readFileSync(fd, 'utf8');
  } catch (error) {
    if (error instanceof UserFileError) throw error;
    throw new UserFileError(`cannot read ${where}: ${errnoText(error)}; ${source.fix}`, (error as NodeJS.ErrnoException).code);
  } finally {
    fs.closeSync(fd);
  }
}

/** `permission denied` from node's `EACCES: permission denied, open 'x'` (the path is named already). */
function errnoText(error: unknown): string {
  return (error as Error).message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+ '.*'$/s, '');
}

function fileKind(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'a special file';
}

/**
 * Writes atomically: a private temp file is fsynced and renamed over the target, so readers never
 * see half a file. A symlinked config (e.g. from a dotfiles repo) is written through, not replaced.
 */
export function writeTalosconfig(configPath: string, cfg: TalosConfig): void {
  try {
    writeFileAtomic(resolveSymlink(configPath), toGoYaml(orderedForFile(cfg)));
  } catch (error) {
    throw new TalosConfigError(
      `cannot write talosconfig "${configPath}": ${(error as Error).message}; check that the directory is writable, or point --talosconfig / $TALOSCONFIG at another file`,
    );
  }
}

export function selectContext(cfg: TalosConfig, configPath: string, override?: string): ResolvedContext {
  const name = currentContextName(cfg, override, configPath);
  return {name, context: cfg.contexts![name], path: configPath};
}

export interface Credentials {
  /** PEM: the CA (or CAs) that the endpoints' certificates must chain to */
  ca: string;
  /** PEM: the client certificate */
  crt: string;
  /** PEM: its private key, relabelled so node's TLS accepts Talos Ed25519 keys */
  key: string;
}

const CREDENTIAL_FIELDS = {ca: 'CA certificate', crt: 'client certificate', key: 'client key'} as const;
type CredentialField = keyof typeof CREDENTIAL_FIELDS;
const NEW_CREDENTIALS_HINT =
  'get a new talosconfig for this cluster (`osctl config new <file>` with a working admin context, then `osctl config merge <file>`), or select another context with --context';

/**
 * The PEM texts of a context's credentials, checked here so that a damaged field is named
 * instead of surfacing later as OpenSSL's text (`DECODER routines::unsupported`, `key values mismatch`).
 */
export function contextCredentials(resolved: ResolvedContext): Credentials {
  return checkedCredentials(resolved).credentials;
}

/**
 * contextCredentials for connecting: the client certificate must be valid now (every node refuses an
 * expired one), and what it says comes along to explain a refusal.
 */
export function connectionCredentials(
  resolved: ResolvedContext,
  now = new Date(),
): Credentials & {clientCertificate: ClientCertificateFacts} {
  const {credentials, certificate, cas} = checkedCredentials(resolved);
  const notAfter = new Date(certificate.validTo);
  if (notAfter < now) {
    throw new TalosConfigError(
      `the client certificate ("crt") in ${contextWhere(resolved)} expired on ${notAfter.toISOString()}, so nodes refuse it; ${NEW_CREDENTIALS_HINT}`,
    );
  }
  const clientCertificate: ClientCertificateFacts = {
    roles: () => certificateInfo(certificate).roles,
    issuer: certificate.issuer.replaceAll('\n', ', '),
    signedByContextCa: issuedByOneOf(certificate, cas),
  };
  return {...credentials, clientCertificate};
}

function contextWhere(resolved: ResolvedContext): string {
  return `context "${resolved.name}" of talosconfig "${resolved.path}"`;
}

function checkedCredentials(resolved: ResolvedContext): {credentials: Credentials; certificate: X509Certificate; cas: X509Certificate[]} {
  const where = contextWhere(resolved);
  const missing = (Object.keys(CREDENTIAL_FIELDS) as CredentialField[]).filter((field) => !resolved.context[field]);
  if (missing.length > 0) {
    throw new TalosConfigError(
      `${where} has no ${missing.join(', ')}; ${NEW_CREDENTIALS_HINT}`,
    );
  }
  const unusable = (field: CredentialField, problem: string) =>
    new TalosConfigError(`the ${CREDENTIAL_FIELDS[field]} ("${field}") in ${where} ${problem}; ${NEW_CREDENTIALS_HINT}`);
  const pemOf = (field: CredentialField): string => {
    // Go's base64 decoder (talosctl's) skips line breaks and nothing else.
    const encoded = resolved.context[field]!.replace(/[\r\n]/g, '');
    if (!isBase64(encoded)) {
      throw unusable(field, 'is not base64 (the field holds the base64 encoding of the PEM text)');
    }
    return Buffer.from(encoded, 'base64').toString('utf8');
  };
  const read = <T>(field: CredentialField, parse: (pem: string) => T): {pem: string; value: T} => {
    const pem = pemOf(field);
    try {
      return {pem, value: parse(pem)};
    } catch (error) {
      if (error instanceof PemError) throw unusable(field, `is ${error.message}`);
      throw error;
    }
  };
  const ca = read('ca', pemCertificates);
  const crt = read('crt', pemCertificates);
  const key = read('key', pemPrivateKey);
  const [certificate] = crt.value;
  if (!certificate.checkPrivateKey(key.value)) {
    throw new TalosConfigError(
      `the client key ("key") in ${where} does not match its client certificate ("crt"): the two come from different configs; ${NEW_CREDENTIALS_HINT}`,
    );
  }
  return {credentials: {ca: ca.pem, crt: crt.pem, key: normalizePrivateKeyPem(key.pem)}, certificate, cas: ca.value};
}

/** host → host:50000, [v6] and bare v6 → [v6]:50000, https://host → host:443; an explicit port is kept. */
export function normalizeEndpoint(endpoint: string): string {
  const trimmed = endpoint.trim();
  const invalid = (reason: string) =>
    new TalosConfigError(`invalid endpoint ${quoteInput(endpoint)}: ${reason}; use host, host:port, [ipv6]:port or https://host[:port]`);
  if (trimmed === '') throw invalid('it is empty');
  let host: string;
  let port: string | undefined;
  if (trimmed.includes('://')) {
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      throw invalid('it is not a valid URL');
    }
    if (url.protocol !== 'https:') throw invalid(`scheme "${url.protocol.slice(0, -1)}" is not supported`);
    host = url.hostname;
    port = url.port || String(HTTPS_PORT);
  } else if (!trimmed.startsWith('[') && trimmed.indexOf(':') !== trimmed.lastIndexOf(':')) {
    // More than one colon outside brackets means a bare IPv6 address without a port.
    host = `[${trimmed}]`;
  } else {
    const portMatch = /^(\[[^\]]+\]|[^:[\]]+)(?::(.*))?$/.exec(trimmed);
    if (!portMatch) throw invalid('it is not a host or host:port');
    [, host, port] = portMatch;
  }
  const problem = hostProblem(host.startsWith('[') ? host.slice(1, -1) : host, host.startsWith('['));
  if (problem) throw invalid(problem);
  if (port === undefined) return `${host}:${APID_PORT}`;
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw invalid(`port "${port}" is not a number from 1 to 65535`);
  }
  return `${host}:${port}`;
}

/** A target node as the `node` metadata carries it: an IP address or a host name, without a port. */
export function normalizeNode(node: string): string {
  const trimmed = node.trim();
  const problem = trimmed === '' ? 'it is empty' : hostProblem(trimmed, false);
  if (problem) throw new TalosConfigError(`invalid node ${quoteInput(node)}: ${problem}; use an IP address or a host name`);
  return trimmed;
}

/**
 * Why `host` cannot be dialled as the user meant it, if it cannot. The resolver reads short numeric
 * forms as IPv4 (`1` is 0.0.0.1, `127.1` is 127.0.0.1), so those are refused rather than guessed at.
 */
function hostProblem(host: string, bracketed: boolean): string | undefined {
  if (bracketed || host.includes(':')) return isIPv6(host) ? undefined : `${quoteInput(host)} is not an IPv6 address`;
  if (isIPv4(host)) return undefined;
  const labels = host.replace(/\.$/, '').split('.');
  if (/^(\d+|0x[\da-f]*)$/i.test(labels.at(-1)!)) {
    return `${quoteInput(host)} is neither a full IPv4 address (a.b.c.d) nor a host name`;
  }
  const validLabel = /^[a-z\d_]([a-z\d_-]{0,61}[a-z\d_])?$/i;
  if (host.length > 253 || !labels.every((label) => validLabel.test(label))) return `${quoteInput(host)} is not a valid host name`;
  return undefined;
}

/** The context's endpoints, normalized; a bad one is named with the file and the context. */
export function contextEndpoints(resolved: ResolvedContext): string[] {
  return contextList(resolved, 'endpoints', normalizeEndpoint, '`osctl config endpoint <ip>`');
}

/** The context's default target nodes; a bad one is named with the file and the context. */
export function contextNodes(resolved: ResolvedContext): string[] {
  return contextList(resolved, 'nodes', normalizeNode, '`osctl config node <ip>`');
}

function contextList(
  resolved: ResolvedContext,
  key: 'endpoints' | 'nodes',
  normalize: (value: string) => string,
  fix: string,
): string[] {
  return (resolved.context[key] ?? []).map((value, index) => {
    try {
      return normalize(value);
    } catch (error) {
      if (!(error instanceof TalosConfigError)) throw error;
      throw new TalosConfigError(
        `${key}[${index}] of ${contextWhere(resolved)} is unusable: ${error.message}. Fix the file, or set the ${key} with ${fix}`,
      );
    }
  });
}

/**
 * talosctl `config merge`: contexts from `from` are added; a name already taken is renamed
 * `<name>-1`, `<name>-2`, ...; the current context becomes the merged file's current context.
 */
export function mergeTalosconfig(
  into: TalosConfig,
  from: TalosConfig,
): {config: TalosConfig; renamed: Array<{from: string; to: string}>} {
  const contexts = {...into.contexts};
  const renamed: Array<{from: string; to: string}> = [];
  const mergedNames = new Map<string, string>();
  for (const [name, context] of Object.entries(from.contexts ?? {})) {
    let mergedName = name;
    for (let suffix = 1; Object.hasOwn(contexts, mergedName); suffix++) mergedName = `${name}-${suffix}`;
    if (mergedName !== name) renamed.push({from: name, to: mergedName});
    mergedNames.set(name, mergedName);
    contexts[mergedName] = context;
  }
  const current = (from.context === undefined ? undefined : mergedNames.get(from.context)) ?? into.context;
  return {config: withCurrentContext({...into, contexts}, current), renamed};
}

export function addContext(cfg: TalosConfig, name: string, context: TalosContext): TalosConfig {
  if (name === '') throw new TalosConfigError('context name is empty: give the new context a name');
  if (cfg.contexts && Object.hasOwn(cfg.contexts, name)) {
    throw new TalosConfigError(
      `context "${name}" already exists in the talosconfig: remove it first with \`osctl config remove ${name}\` or choose another name`,
    );
  }
  return {...cfg, contexts: {...cfg.contexts, [name]: context}};
}

/** Removing the current context leaves no current context; the next command then asks the user to choose one. */
export function removeContext(cfg: TalosConfig, name: string): TalosConfig {
  requireContext(cfg, name);
  const {[name]: _removed, ...contexts} = cfg.contexts!;
  return withCurrentContext({...cfg, contexts}, cfg.context === name ? undefined : cfg.context);
}

export function setCurrentContext(cfg: TalosConfig, name: string): TalosConfig {
  requireContext(cfg, name);
  return {...cfg, context: name};
}

/** Sets the endpoints of the current context, or of `contextName` when given (e.g. from --context). */
export function setEndpoints(cfg: TalosConfig, endpoints: string[], contextName?: string): TalosConfig {
  for (const endpoint of endpoints) normalizeEndpoint(endpoint); // reject unusable endpoints now, not at the next connect
  return updateContext(cfg, contextName, {endpoints: [...endpoints]});
}

/** Sets the default target nodes of the current context, or of `contextName` when given. */
export function setNodes(cfg: TalosConfig, nodes: string[], contextName?: string): TalosConfig {
  for (const node of nodes) normalizeNode(node);
  return updateContext(cfg, contextName, {nodes: [...nodes]});
}

function withCurrentContext(cfg: TalosConfig, current: string | undefined): TalosConfig {
  const {context: _previous, ...rest} = cfg;
  return current === undefined ? rest : {...rest, context: current};
}

function updateContext(cfg: TalosConfig, contextName: string | undefined, changes: TalosContext): TalosConfig {
  const name = currentContextName(cfg, contextName);
  return {...cfg, contexts: {...cfg.contexts, [name]: {...cfg.contexts![name], ...changes}}};
}

/** The context to use: `override`, else the file's current one; it must exist. */
function currentContextName(cfg: TalosConfig, override: string | undefined, configPath?: string): string {
  const where = configPath === undefined ? 'the talosconfig' : `talosconfig "${configPath}"`;
  const names = Object.keys(cfg.contexts ?? {});
  if (names.length === 0) {
    let state = 'has no contexts';
    if (configPath !== undefined && !fs.existsSync(configPath)) state = 'does not exist';
    else if (cfg.context) state = `has no contexts (its current context "${cfg.context}" is not defined under "contexts")`;
    throw new TalosConfigError(
      `${where} ${state}: create a cluster with \`osctl cluster create\`, merge a talosconfig with \`osctl config merge <file>\`, or point --talosconfig / $TALOSCONFIG at another file`,
    );
  }
  const name = override || cfg.context;
  if (!name) {
    throw new TalosConfigError(
      `no current context is set in ${where}: choose one with \`osctl config context <name>\` or pass --context; available contexts: ${names.join(', ')}`,
    );
  }
  requireContext(cfg, name, configPath);
  return name;
}

function requireContext(cfg: TalosConfig, name: string, configPath?: string): void {
  if (cfg.contexts && Object.hasOwn(cfg.contexts, name)) return;
  const where = configPath === undefined ? 'the talosconfig' : `talosconfig "${configPath}"`;
  const names = Object.keys(cfg.contexts ?? {});
  throw new TalosConfigError(
    `context "${name}" not found in ${where}; available contexts: ${names.length > 0 ? names.join(', ') : '(none)'}`,
  );
}

const CONTEXT_STRING_KEYS = ['ca', 'crt', 'key', 'cluster', 'proxy-url'] as const;
const CONTEXT_LIST_KEYS = ['endpoints', 'nodes'] as const;

// Checks the shape talosctl's Go structs would accept. Unknown keys are kept, so a file
// written by a newer talosctl survives a round trip through us.
type Invalid = (problem: string) => TalosConfigError;

function checkConfig(document: Record<string, unknown>, invalid: Invalid): TalosConfig {
  const config: Record<string, unknown> = {...document};
  config.context = optionalString(document.context, 'context', invalid);
  if (config.context === undefined) delete config.context;
  if (document.contexts === undefined || document.contexts === null) {
    delete config.contexts;
    return config as TalosConfig;
  }
  if (!isPlainObject(document.contexts)) {
    throw invalid(`"contexts" must be a map of context names (got ${describe(document.contexts)})`);
  }
  const contexts: Record<string, TalosContext> = {};
  for (const [name, value] of Object.entries(document.contexts)) {
    contexts[name] = checkContext(value ?? {}, `contexts.${name}`, invalid);
  }
  config.contexts = contexts;
  return config as TalosConfig;
}

function checkContext(value: unknown, keyPath: string, invalid: Invalid): TalosContext {
  if (!isPlainObject(value)) throw invalid(`"${keyPath}" must be a map (got ${describe(value)})`);
  const context: Record<string, unknown> = {...value};
  for (const key of CONTEXT_STRING_KEYS) {
    context[key] = optionalString(value[key], `${keyPath}.${key}`, invalid);
  }
  for (const key of CONTEXT_LIST_KEYS) {
    context[key] = optionalStringList(value[key], `${keyPath}.${key}`, invalid);
  }
  if (value.auth !== undefined && value.auth !== null && !isPlainObject(value.auth)) {
    throw invalid(`"${keyPath}.auth" must be a map (got ${describe(value.auth)})`);
  }
  // Deprecated `target` is read as one more endpoint, as talosctl does, and not written back.
  const target = optionalString(value.target, `${keyPath}.target`, invalid);
  delete context.target;
  if (target) context.endpoints = [...((context.endpoints as string[] | undefined) ?? []), target];
  for (const key of Object.keys(context)) if (context[key] === undefined || context[key] === null) delete context[key];
  return context as TalosContext;
}

// Go's YAML decoder accepts any scalar for a string field, so `cluster: 123` is the string "123".
function optionalString(value: unknown, keyPath: string, invalid: Invalid): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw invalid(`"${keyPath}" must be a string (got ${describe(value)})`);
}

function optionalStringList(value: unknown, keyPath: string, invalid: Invalid): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    throw invalid(`"${keyPath}" must be a list of strings (got ${describe(value)}); write it as [a, b] or one "- item" per line`);
  }
  return value.map((item, index) => {
    const text = optionalString(item, `${keyPath}[${index}]`, invalid);
    if (text === undefined) throw invalid(`"${keyPath}[${index}]" is empty`);
    return text;
  });
}

function describeYamlError(error: unknown): string {
  if (!(error instanceof YAMLException) || !error.mark) return (error as Error).message;
  return `${error.reason} at line ${error.mark.line + 1}, column ${error.mark.column + 1}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'a map' : `${typeof value} ${JSON.stringify(value)}`;
}

// Key order of talosctl's Go structs, so files we write read like the ones talosctl writes;
// talosctl always writes `endpoints`, even when empty.
const CONTEXT_KEY_ORDER = ['endpoints', 'nodes', 'ca', 'crt', 'key', 'auth', 'cluster', 'proxy-url'];

function orderedForFile(cfg: TalosConfig): Record<string, unknown> {
  const contexts: Record<string, Record<string, unknown>> = {};
  for (const [name, context] of Object.entries(cfg.contexts ?? {})) {
    const ordered: Record<string, unknown> = {endpoints: context.endpoints ?? []};
    for (const key of [...CONTEXT_KEY_ORDER, ...Object.keys(context)]) {
      const value = (context as Record<string, unknown>)[key];
      if (value !== undefined && !(key in ordered)) ordered[key] = value;
    }
    contexts[name] = ordered;
  }
  const {context: current, contexts: _contexts, ...unknownKeys} = cfg;
  return {...(current === undefined ? {} : {context: current}), contexts, ...unknownKeys};
}

function resolveSymlink(configPath: string): string {
  try {
    return fs.realpathSync(configPath);
  } catch {
    return configPath; // does not exist yet
  }
}

