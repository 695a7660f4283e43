// Start-up fast path. Booting oclif costs ≈ 70–110 ms before a command runs; node itself ≈ 26 ms.
// For the common case — a known command with well-formed flags — this parses argv against the
// same flag and argument definitions oclif uses (read from oclif.manifest.json, generated from
// the command classes at build time) and runs the command's action directly. Anything it does
// not fully understand (help, unknown or malformed flags, missing arguments, commands without an
// action module) returns undefined, and oclif handles it with its own messages.
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {isMisplacedFlagCandidate, leadingFlagProblem, scanArgv, type FlagShape} from './argv.js';
import type {Invocation} from './runtime.js';

interface ManifestFlag extends FlagShape {
  delimiter?: string;
  options?: string[];
  default?: unknown;
  required?: boolean;
  allowNo?: boolean;
  exclusive?: string[];
  dependsOn?: string[];
  relationships?: unknown[];
}

interface ManifestCommand {
  id: string;
  aliases: string[];
  strict?: boolean;
  flags: Record<string, ManifestFlag>;
  args: Record<string, {name: string; required?: boolean; default?: unknown}>;
}

interface Manifest {
  version: string;
  commands: Record<string, ManifestCommand>;
}

type FlagValues = Record<string, unknown>;

function readManifest(root: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** A usage message when argv starts with a flag that is not a global one (see leadingFlagProblem). */
export function misplacedFlagProblem(argv: readonly string[], root: string): string | undefined {
  if (!isMisplacedFlagCandidate(argv[0])) return undefined;
  const manifest = readManifest(root);
  if (!manifest) return undefined;
  return leadingFlagProblem(argv, (words) => {
    const found = findCommand(manifest, words);
    return found && {id: found.command.id, flags: Object.values(found.command.flags)};
  });
}

export function fastInvocation(argv: readonly string[], root: string): Invocation<unknown, unknown> | undefined {
  if (process.env.OSCTL_NO_FAST_PATH) return undefined;
  const manifest = readManifest(root);
  if (!manifest) return undefined;
  const found = findCommand(manifest, argv);
  if (!found || !existsSync(join(root, 'dist', 'cli', 'actions', `${found.command.id.replaceAll(':', '/')}.js`))) return undefined;
  const parsed = parseArgv(found.command, argv.slice(found.words));
  if (!parsed) return undefined;
  return {id: found.command.id, ...parsed, version: manifest.version};
}

/** The command named by the longest run of leading words (ids and aliases, space-separated). */
function findCommand(manifest: Manifest, argv: readonly string[]): {command: ManifestCommand; words: number} | undefined {
  const byName = new Map<string, ManifestCommand>();
  for (const command of Object.values(manifest.commands)) {
    for (const name of [command.id, ...command.aliases]) byName.set(name, command);
  }
  for (let words = Math.min(argv.length, 4); words > 0; words--) {
    const command = byName.get(argv.slice(0, words).join(':'));
    if (command) return {command, words};
  }
  return undefined;
}

function parseArgv(command: ManifestCommand, tokens: readonly string[]): Pick<Invocation<unknown, unknown>, 'flags' | 'args' | 'argv'> | undefined {
  const flagDefs = Object.values(command.flags);
  if (flagDefs.some((f) => f.exclusive?.length || f.dependsOn?.length || f.relationships?.length)) return undefined;
  const flags: FlagValues = {};
  const positional: string[] = [];
  for (const item of scanArgv(tokens, flagDefs)) {
    if (item.kind === 'other') return undefined;
    if (item.kind === 'positional') positional.push(item.value);
    else if (item.flag.type === 'boolean') flags[item.flag.name] = item.value !== 'false';
    else if (!setOption(flags, item.flag, item.value!)) return undefined;
  }
  for (const flag of flagDefs) {
    if (flags[flag.name] === undefined && flag.default !== undefined) flags[flag.name] = flag.default;
    if (flags[flag.name] === undefined && flag.required) return undefined;
  }
  const argDefs = Object.values(command.args);
  if (command.strict !== false && positional.length > argDefs.length) return undefined;
  const args: Record<string, unknown> = {};
  for (const [index, def] of argDefs.entries()) {
    const value = positional[index] ?? def.default;
    if (value === undefined && def.required) return undefined;
    args[def.name] = value;
  }
  return {flags, args, argv: positional};
}

/** Repeatable flags accumulate; for a scalar flag the last value wins (see lastValueWins in argv.ts). */
function setOption(flags: FlagValues, flag: ManifestFlag, value: string): boolean {
  const values = flag.multiple && flag.delimiter ? value.split(flag.delimiter).map((v) => v.trim()) : [value];
  if (flag.options && !values.every((v) => flag.options!.includes(v))) return false;
  flags[flag.name] = flag.multiple ? [...((flags[flag.name] as string[] | undefined) ?? []), ...values] : value;
  return true;
}
