// Extension services (talos-resources.md §7.2): every `*.yaml` under
// `<state>/usr/local/etc/containers`, read once at start in file-name order, becomes a service
// `ext-<name>` whose process runs from `<state>/usr/local/lib/containers/<name>/`. A file that does
// not decode or validate, or repeats a name, is logged (naming the file and the field) and skipped;
// it never stops osd.
//
// osd has no containerd: the entrypoint runs as a host process in its own process group, with the
// rootfs directory as working directory and only the service's environment. So `mounts` and
// `security` are not applied (a warning says so), and the implicit dependency Talos adds on
// `containerd` is dropped. `network` is satisfied once osd serves its API (services start after
// that), `time` by the host clock, `path` once the file exists inside the node's state root, and
// `configuration` once the machine config holds an ExtensionServiceConfig of that name.
import {constants as fsConstants} from 'node:fs';
import {access, readdir, realpath, stat} from 'node:fs/promises';
import {dirname, isAbsolute, join, posix, relative} from 'node:path';
import {loadYaml} from '../../machinery/yaml.js';
import type {ExtensionServiceConfigDocument, MachineConfigDocument} from '../../machinery/machineconfig/types.js';
import type {ServiceLogs} from '../logs/service-logs.js';
import type {ProcessGroupRecords} from '../../machinery/process-groups.js';
import {readRegularFile} from '../regular-file.js';
import {ProcessRunner} from './process-runner.js';
import type {Condition, RestartPolicy, ServiceDefinition} from './service.js';
import {setTimeout as sleep} from 'node:timers/promises';

export const EXTENSION_SERVICE_CONFIG_DIR = 'usr/local/etc/containers';
export const EXTENSION_SERVICE_ROOTFS_DIR = 'usr/local/lib/containers';
/** containerd's default PATH for a container without an image. */
const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const NAME = /^[-_a-z0-9]{1,}$/;
const NETWORK_CHECKS = ['addresses', 'connectivity', 'hostname', 'etcfiles'];
const RESTART_KINDS: Record<string, RestartPolicy> = {always: 'forever', never: 'once', untilSuccess: 'untilSuccess'};
/** Definition files are small; a bigger one is refused rather than read. */
const MAX_FILE_BYTES = 1 << 20;
const POLL_MS = 1000;
const MAX_UNKNOWN_KEY_WARNINGS = 10;

export interface ExtensionSpec {
  name: string;
  entrypoint: string;
  args: string[];
  environment: string[];
  environmentFile: string;
  depends: Dependency[];
  restart: RestartPolicy;
}

type Dependency =
  | {service: string}
  | {path: string}
  | {network: string[]}
  | {time: true}
  | {configuration: true};

export interface ExtensionServiceOptions {
  stateRoot: string;
  serviceLogs: ServiceLogs;
  warn: (message: string) => void;
  machineConfig: () => MachineConfigDocument;
  gracefulStopMs?: number;
  /** Where running services' process groups are noted (see process-groups.ts). */
  groups?: ProcessGroupRecords;
}

/** The extension services defined in the state dir, in file-name order. */
export async function loadExtensionServices(options: ExtensionServiceOptions): Promise<ServiceDefinition[]> {
  const dir = join(options.stateRoot, EXTENSION_SERVICE_CONFIG_DIR);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.yaml')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    options.warn(`extension services: cannot list ${dir}: ${(error as Error).message}`);
    return [];
  }
  const definitions: ServiceDefinition[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    const spec = await readSpec(file, options.warn);
    if (spec === undefined) continue;
    const first = seen.get(spec.name);
    if (first !== undefined) {
      options.warn(`extension service file ${file} skipped: name "${spec.name}" is already defined by ${first}`);
      continue;
    }
    seen.set(spec.name, file);
    definitions.push(extensionService(spec, options));
  }
  return definitions;
}

async function readSpec(file: string, warn: (message: string) => void): Promise<ExtensionSpec | undefined> {
  const refuse = (problem: string): undefined => {
    warn(`extension service file ${file} skipped: ${problem}`);
    return undefined;
  };
  let document: unknown;
  try {
    document = loadYaml(await readTextFile(file, MAX_FILE_BYTES, 'a definition'), {filename: file});
  } catch (error) {
    return refuse((error as Error).message);
  }
  // One line per unknown key, but a file of many cannot flood osd's log.
  let unknownKeys = 0;
  const decoded = decodeSpec(document, (key) => {
    if (++unknownKeys <= MAX_UNKNOWN_KEY_WARNINGS) warn(`extension service file ${file}: unknown key ${key} ignored`);
  });
  if (unknownKeys > MAX_UNKNOWN_KEY_WARNINGS) warn(`extension service file ${file}: ${unknownKeys - MAX_UNKNOWN_KEY_WARNINGS} more unknown keys ignored`);
  if (typeof decoded === 'string') return refuse(decoded);
  const problems = validateSpec(decoded);
  if (problems.length > 0) return refuse(problems.join('; '));
  for (const ignored of decoded.notApplied) {
    warn(`extension service file ${file}: ${ignored} not applied: osd runs extension services as host processes in their rootfs directory`);
  }
  return decoded.spec;
}

interface Decoded {
  spec: ExtensionSpec;
  /** Raw values kept for validation (Talos validates after decoding). */
  rawRestart: string | undefined;
  dependencyKeys: string[][];
  notApplied: string[];
}

/** Non-strict decoding as Talos's (unknown keys reported, not refused); a string is a decoding error. */
function decodeSpec(document: unknown, unknownKey: (key: string) => void): Decoded | string {
  if (!isMap(document)) return 'the document must be a mapping';
  reportUnknown(document, ['name', 'container', 'depends', 'restart', 'logToConsole'], '', unknownKey);
  const name = optionalString(document.name, 'name');
  const container = document.container ?? {};
  if (!isMap(container)) return 'container: must be a mapping';
  reportUnknown(container, ['entrypoint', 'args', 'environment', 'environmentFile', 'mounts', 'security'], 'container.', unknownKey);
  const restart = optionalString(document.restart, 'restart');
  if (typeof restart === 'string' && restart !== '' && RESTART_KINDS[restart] === undefined) return `${restart} does not belong to RestartKind values`;
  const depends = document.depends ?? [];
  if (!Array.isArray(depends)) return 'depends: must be a list';
  const dependencyKeys: string[][] = [];
  const dependencies: Dependency[] = [];
  for (const [index, entry] of depends.entries()) {
    if (!isMap(entry)) return `depends[${index}]: must be a mapping`;
    reportUnknown(entry, ['service', 'path', 'network', 'time', 'configuration'], `depends[${index}].`, unknownKey);
    const keys: string[] = [];
    if (entry.service !== undefined && entry.service !== null && entry.service !== '') keys.push('service');
    if (entry.path !== undefined && entry.path !== null && entry.path !== '') keys.push('path');
    if (Array.isArray(entry.network) && entry.network.length > 0) keys.push('network');
    if (entry.time === true) keys.push('time');
    if (entry.configuration === true) keys.push('configuration');
    dependencyKeys.push(keys);
    const service = optionalString(entry.service, `depends[${index}].service`);
    const path = optionalString(entry.path, `depends[${index}].path`);
    const network = stringList(entry.network, `depends[${index}].network`);
    for (const value of [service, path, network]) if (value instanceof DecodeError) return value.message;
    if (keys[0] === 'service') dependencies.push({service: service as string});
    else if (keys[0] === 'path') dependencies.push({path: path as string});
    else if (keys[0] === 'network') dependencies.push({network: network as string[]});
    else if (keys[0] === 'time') dependencies.push({time: true});
    else if (keys[0] === 'configuration') dependencies.push({configuration: true});
  }
  const entrypoint = optionalString(container.entrypoint, 'container.entrypoint');
  const args = stringList(container.args, 'container.args');
  const environment = stringList(container.environment, 'container.environment');
  const environmentFile = optionalString(container.environmentFile, 'container.environmentFile');
  for (const value of [name, restart, entrypoint, args, environment, environmentFile]) if (value instanceof DecodeError) return value.message;
  const notApplied: string[] = [];
  if (Array.isArray(container.mounts) && container.mounts.length > 0) notApplied.push('container.mounts');
  if (isMap(container.security) && Object.keys(container.security).length > 0) notApplied.push('container.security');
  return {
    spec: {
      name: (name as string | undefined) ?? '',
      entrypoint: (entrypoint as string | undefined) ?? '',
      args: (args as string[] | undefined) ?? [],
      environment: (environment as string[] | undefined) ?? [],
      environmentFile: (environmentFile as string | undefined) ?? '',
      depends: dependencies,
      restart: RESTART_KINDS[(restart as string | undefined) ?? ''] ?? 'forever',
    },
    rawRestart: (restart as string | undefined) || undefined,
    dependencyKeys,
    notApplied,
  };
}

/** Talos's validation messages (talos-resources.md §7.2), all of them. */
function validateSpec(decoded: Decoded): string[] {
  const {spec} = decoded;
  const problems: string[] = [];
  if (!NAME.test(spec.name)) problems.push(`name ${JSON.stringify(spec.name)} is invalid`);
  if (spec.entrypoint === '') problems.push("container endpoint can't be empty");
  decoded.dependencyKeys.forEach((keys, index) => {
    if (keys.length === 0) problems.push('no dependency specified');
    else if (keys.length > 1) problems.push('more than a single dependency is set');
    const dependency = spec.depends[index];
    if (keys.length === 1 && 'path' in dependency && !dependency.path.startsWith('/')) problems.push(`path is not absolute: ${JSON.stringify(dependency.path)}`);
    if (keys.length === 1 && 'network' in dependency) {
      for (const check of dependency.network) if (!NETWORK_CHECKS.includes(check)) problems.push(`invalid network dependency: ${check}`);
    }
  });
  if (decoded.rawRestart === undefined) problems.push('restart kind is invalid: RestartKind(0)');
  return problems;
}

function extensionService(spec: ExtensionSpec, options: ExtensionServiceOptions): ServiceDefinition {
  const id = `ext-${spec.name}`;
  const rootfs = join(options.stateRoot, EXTENSION_SERVICE_ROOTFS_DIR, spec.name);
  // A node path inside the state root: `..` cannot climb above it.
  const inState = (path: string): string => join(options.stateRoot, posix.normalize(`/${path}`));
  const conditions: Condition[] = [];
  if (spec.environmentFile !== '') conditions.push(fileExists(spec.environmentFile, inState(spec.environmentFile)));
  for (const dependency of spec.depends) {
    if ('path' in dependency) conditions.push(fileExists(dependency.path, inState(dependency.path)));
    // Services start once osd serves, and the host keeps the time.
    else if ('network' in dependency) conditions.push(satisfied('network'));
    else if ('time' in dependency) conditions.push(satisfied('time sync'));
    else if ('configuration' in dependency) conditions.push(configurationPresent(spec.name, options.machineConfig));
  }
  let prepared: {executable: string; env: Record<string, string>} | undefined;
  return {
    id,
    dependsOn: spec.depends.flatMap((dependency) => ('service' in dependency ? [dependency.service] : [])),
    conditions,
    restart: spec.restart,
    api: {start: true, stop: true, restart: true},
    image: '',
    pre: async () => {
      const executable = await resolveEntrypoint(rootfs, spec.entrypoint);
      prepared = {executable, env: await environmentOf(spec, inState, options.machineConfig())};
    },
    createRunner: () => {
      if (prepared === undefined) throw new Error('the pre stage did not run');
      return new ProcessRunner({
        id,
        args: [prepared.executable, ...spec.args],
        argv0: spec.entrypoint,
        env: prepared.env,
        cwd: rootfs,
        log: options.serviceLogs.writer(id),
        texts: 'task',
        gracefulStopMs: options.gracefulStopMs,
        groups: options.groups,
      });
    },
  };
}

/** The entrypoint's real path, refused unless it is an executable file inside the rootfs (after symlinks). */
export async function resolveEntrypoint(rootfs: string, entrypoint: string): Promise<string> {
  let root: string;
  let rootsDir: string;
  try {
    root = await realpath(rootfs);
    rootsDir = await realpath(dirname(rootfs));
  } catch (error) {
    throw new Error(`service rootfs ${rootfs} is missing: ${(error as Error).message}`);
  }
  // The rootfs itself may be a symlink: it must still lead to a directory beside the other rootfs dirs.
  if (dirname(root) !== rootsDir) throw new Error(`service rootfs ${rootfs} resolves to ${root}, outside ${dirname(rootfs)}`);
  const candidate = join(root, entrypoint);
  const inside = (path: string): boolean => {
    const rest = relative(root, path);
    return rest !== '' && !rest.startsWith('..') && !isAbsolute(rest);
  };
  if (!inside(candidate)) throw new Error(`entrypoint ${JSON.stringify(entrypoint)} is outside the service rootfs ${rootfs}`);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (error) {
    throw new Error(`entrypoint ${JSON.stringify(entrypoint)} not found in ${rootfs}: ${(error as Error).message}`);
  }
  if (!inside(real)) throw new Error(`entrypoint ${JSON.stringify(entrypoint)} resolves to ${real}, outside the service rootfs ${rootfs}`);
  const info = await stat(real);
  if (!info.isFile()) throw new Error(`entrypoint ${JSON.stringify(entrypoint)} is not a regular file`);
  await access(real, fsConstants.X_OK).catch(() => {
    throw new Error(`entrypoint ${JSON.stringify(entrypoint)} is not executable`);
  });
  return real;
}

/** Talos's order: the environment file, then container.environment, then the ExtensionServiceConfig's. */
async function environmentOf(spec: ExtensionSpec, inState: (path: string) => string, config: MachineConfigDocument): Promise<Record<string, string>> {
  const env: Record<string, string> = {PATH: CONTAINER_PATH};
  const assign = (entries: string[]): void => {
    for (const entry of entries) {
      const equals = entry.indexOf('=');
      if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
    }
  };
  if (spec.environmentFile !== '') {
    const text = await readTextFile(inState(spec.environmentFile), MAX_FILE_BYTES, 'an environment file').catch((error: Error) => {
      throw new Error(`failed to parse environment file ${JSON.stringify(spec.environmentFile)}: ${error.message}`);
    });
    assign(parseEnvFile(text));
  }
  assign(spec.environment);
  assign(extensionServiceConfig(config, spec.name)?.environment ?? []);
  return env;
}

/**
 * A regular file's text, at most `maxBytes`. Opened without blocking and checked before it is read,
 * so a FIFO or a device put in its place cannot hang osd (a blocked read also holds a libuv thread).
 */
/** The file's text; anything but a regular file of at most `maxBytes` is an error saying so. */
async function readTextFile(path: string, maxBytes: number, what: string): Promise<string> {
  const read = await readRegularFile(path, maxBytes);
  if (read.kind === 'text') return read.text;
  if (read.kind === 'too large') throw new Error(`${read.size} bytes, more than the ${maxBytes} ${what} may have`);
  throw new Error('not a regular file');
}

/** `KEY=value` lines; blank lines and `#` comments skipped, `export ` and matching quotes removed. */
function parseEnvFile(text: string): string[] {
  return text.split('\n').flatMap((raw) => {
    const line = raw.trim().replace(/^export\s+/, '');
    if (line === '' || line.startsWith('#') || !line.includes('=')) return [];
    const equals = line.indexOf('=');
    let value = line.slice(equals + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    return [`${line.slice(0, equals).trim()}=${value}`];
  });
}

function extensionServiceConfig(config: MachineConfigDocument, name: string): ExtensionServiceConfigDocument | undefined {
  return config.documents.find((document): document is ExtensionServiceConfigDocument => document.kind === 'ExtensionServiceConfig' && document.name === name);
}

function fileExists(shown: string, path: string): Condition {
  return {
    describe: () => `file ${JSON.stringify(shown)} to exist`,
    wait: (signal) => poll(async () => stat(path).then(() => true, () => false), signal),
  };
}

function satisfied(text: string): Condition {
  return {describe: () => text, wait: async () => undefined};
}

function configurationPresent(name: string, machineConfig: () => MachineConfigDocument): Condition {
  return {
    describe: () => `extension service config ${JSON.stringify(name)}`,
    wait: (signal) => poll(async () => extensionServiceConfig(machineConfig(), name) !== undefined, signal),
  };
}

async function poll(check: () => Promise<boolean>, signal: AbortSignal): Promise<void> {
  for (;;) {
    if (signal.aborted) throw new Error('context canceled');
    if (await check()) return;
    // Ends early on abort; the loop then reports it.
    await sleep(POLL_MS, undefined, {signal}).catch(() => undefined);
  }
}

class DecodeError {
  constructor(readonly message: string) {}
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function reportUnknown(map: Record<string, unknown>, known: string[], prefix: string, report: (key: string) => void): void {
  for (const key of Object.keys(map)) if (!known.includes(key)) report(JSON.stringify(prefix + key));
}

function optionalString(value: unknown, field: string): string | undefined | DecodeError {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return new DecodeError(`${field}: expected a string`);
}

function stringList(value: unknown, field: string): string[] | undefined | DecodeError {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return new DecodeError(`${field}: expected a list of strings`);
  const result: string[] = [];
  for (const item of value) {
    const text = optionalString(item, field);
    if (typeof text !== 'string') return new DecodeError(`${field}: expected a list of strings`);
    result.push(text);
  }
  return result;
}
