// argv before a parser sees it: global flags typed before the command moved behind it, and
// repeated scalar flags reduced to their last value. The flag scanner here is the one the start-up
// fast path (src/cli/fast-path.ts) parses with, so both parsers and this rewriting agree on
// which token is a flag and which token is its value.
import {quoteInput} from './quote.js';

/** Global flags that take a value, by every spelling a user may type. */
const VALUE_FLAGS = new Set(['--talosconfig', '--context', '--nodes', '-n', '--endpoints', '-e', '--timeout']);

function isGlobalFlag(token: string): {consumesNext: boolean} | undefined {
  if (VALUE_FLAGS.has(token)) return {consumesNext: true};
  const eq = token.indexOf('=');
  if (eq > 0 && VALUE_FLAGS.has(token.slice(0, eq))) return {consumesNext: false};
  // -n10.5.0.2 / -e10.5.0.2: short flag glued to its value
  if (/^-[ne][^-=]/.test(token)) return {consumesNext: false};
  return undefined;
}

/**
 * Global flags typed before the command id (`osctl -n 10.5.0.2 logs kubelet`), as talosctl users
 * do: oclif only parses flags after the command id, so they move behind it. They go right after
 * the leading words (command id and any arguments before the first flag), ahead of every flag
 * typed after the command, so the order of repeated flags — and so which value wins — is kept.
 * Stops at the first token that is not a global flag; everything from there keeps its order.
 */
export function hoistGlobalFlags(argv: readonly string[]): string[] {
  const hoisted: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const flag = isGlobalFlag(argv[i]);
    if (!flag) break;
    hoisted.push(argv[i]);
    if (flag.consumesNext && i + 1 < argv.length) hoisted.push(argv[i + 1]);
    i += flag.consumesNext ? 2 : 1;
  }
  if (hoisted.length === 0) return [...argv];
  const rest = argv.slice(i);
  let words = 0;
  while (words < rest.length && !rest[words].startsWith('-')) words++;
  // Nothing names a command before a flag (`osctl -n a --help`): oclif must see the flag first.
  if (words === 0) return [...rest, ...hoisted];
  return [...rest.slice(0, words), ...hoisted, ...rest.slice(words)];
}

/** Flags oclif acts on wherever they are: help and version. */
const ANYWHERE_FLAGS = new Set(['--help', '-h', '--version']);
const GLOBAL_FLAG_LIST = '--talosconfig, --context, -n/--nodes, -e/--endpoints and --timeout';

/** Whether argv's first token is a flag that may not stand before the command (no commands needed to tell). */
export function isMisplacedFlagCandidate(token: string | undefined): token is string {
  if (token === undefined || !token.startsWith('-') || token === '-' || token === '--') return false;
  return !ANYWHERE_FLAGS.has(token) && !isGlobalFlag(token);
}

/**
 * After hoisting, a flag still in front of the command is no global flag: `osctl -o json get x`.
 * Like talosctl (cobra parses only persistent flags there), that is a usage error; the message says
 * whose flag it is and where it goes. `commandAt` names the command that argv starts with, if any.
 */
export function leadingFlagProblem(
  argv: readonly string[],
  commandAt: (words: readonly string[]) => {id: string; flags: readonly FlagShape[]} | undefined,
): string | undefined {
  const [token] = argv;
  if (!isMisplacedFlagCandidate(token)) return undefined;
  // The command starts at the first word that names one; words before it are the flag's value.
  let command: {id: string; flags: readonly FlagShape[]} | undefined;
  for (let i = 1; i < argv.length && !command; i++) if (!argv[i].startsWith('-')) command = commandAt(argv.slice(i));
  const eq = token.indexOf('=');
  const flag = token.startsWith('--') ? token.slice(0, eq === -1 ? undefined : eq) : token.slice(0, 2);
  const before = `only the global flags ${GLOBAL_FLAG_LIST} may come before the command`;
  if (!command) return `${quoteInput(flag)} is not a global flag: ${before}; put it after the command it belongs to`;
  const name = `osctl ${command.id.replaceAll(':', ' ')}`;
  const ownFlag = command.flags.some((f) =>
    flag.startsWith('--') ? [f.name, ...(f.aliases ?? [])].includes(flag.slice(2)) : f.char === flag.slice(1));
  if (!ownFlag) return `${quoteInput(flag)} is neither a global flag nor a flag of \`${name}\`; see \`${name} --help\``;
  return `${flag} is a flag of \`${name}\` and must follow the command (\`${name} ... ${flag} ...\`): ${before}`;
}

/** What scanning argv needs to know of a flag; oclif's definitions and its manifest both have these fields. */
export interface FlagShape {
  name: string;
  type: 'boolean' | 'option';
  char?: string;
  aliases?: string[];
  multiple?: boolean;
  /** A boolean that also has a `--no-<name>` form (for those whose default is true). */
  allowNo?: boolean;
}

/** Go's strconv.ParseBool, which pflag uses for `--flag=<value>` of a boolean: the value, or undefined if it is none. */
export function goBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/**
 * One piece of argv. `flag` spans tokens [start, end) (`--x=v`, `-xv`: one token; `--x v`,
 * `-x v`: two). A boolean's value is set only when given inline as pflag takes it (`--wait=false`;
 * `true` or `false` then). `other` is what only oclif can judge: help, an unknown flag, a boolean
 * given some other value, an option without one.
 */
export type ArgvItem<F extends FlagShape = FlagShape> =
  | {kind: 'flag'; flag: F; value: string | undefined; start: number; end: number}
  | {kind: 'positional'; value: string}
  | {kind: 'other'; token: string};

/** Splits the tokens after the command id into flags (by these definitions) and arguments. */
export function scanArgv<F extends FlagShape>(tokens: readonly string[], flags: readonly F[]): ArgvItem<F>[] {
  const byLong = new Map<string, F>();
  const byChar = new Map<string, F>();
  for (const flag of flags) {
    for (const name of [flag.name, ...(flag.aliases ?? [])]) byLong.set(name, flag);
    if (flag.char) byChar.set(flag.char, flag);
  }
  const items: ArgvItem<F>[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === '--') {
      for (const value of tokens.slice(i + 1)) items.push({kind: 'positional', value});
      break;
    }
    if (token === '-h' || token === '--help') {
      items.push({kind: 'other', token});
      continue;
    }
    if (token === '-' || !token.startsWith('-')) {
      items.push({kind: 'positional', value: token});
      continue;
    }
    let flag: F | undefined;
    let inline: string | undefined;
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      flag = byLong.get(eq === -1 ? token.slice(2) : token.slice(2, eq));
      if (eq !== -1) inline = token.slice(eq + 1);
    } else {
      flag = byChar.get(token[1]);
      if (token.length > 2) inline = token[2] === '=' ? token.slice(3) : token.slice(2);
    }
    if (flag?.type === 'boolean' && inline !== undefined && token.startsWith('--') && goBool(inline) !== undefined) {
      items.push({kind: 'flag', flag, value: String(goBool(inline)), start: i, end: i + 1});
      continue;
    }
    if (!flag || (flag.type === 'boolean' && inline !== undefined)) {
      items.push({kind: 'other', token});
      continue;
    }
    if (flag.type === 'boolean' || inline !== undefined) {
      items.push({kind: 'flag', flag, value: inline, start: i, end: i + 1});
      continue;
    }
    if (i + 1 >= tokens.length) {
      items.push({kind: 'other', token});
      continue;
    }
    items.push({kind: 'flag', flag, value: tokens[i + 1], start: i, end: i + 2});
    i++;
  }
  return items;
}

/**
 * The tokens with every earlier occurrence of a scalar (not `multiple`) flag removed, so the last
 * value wins, as with talosctl (pflag): `--talosconfig a ... --talosconfig b` reads b. oclif
 * refuses a repeated scalar flag, so its input goes through this first. Repeatable flags
 * (-n, -e, --roles) keep every occurrence and accumulate, as pflag's slices do.
 */
export function lastValueWins(tokens: readonly string[], flags: readonly FlagShape[]): string[] {
  const items = scanArgv(tokens, flags);
  const last = new Map<string, number>();
  items.forEach((item, index) => {
    if (item.kind === 'flag' && !item.flag.multiple) last.set(item.flag.name, index);
  });
  const drop = new Set<number>();
  items.forEach((item, index) => {
    if (item.kind === 'flag' && !item.flag.multiple && last.get(item.flag.name) !== index) {
      for (let t = item.start; t < item.end; t++) drop.add(t);
    }
  });
  return tokens.filter((_, t) => !drop.has(t));
}

/**
 * The tokens with pflag's `--flag=true|false` of a boolean written as oclif reads it: `--flag`, or
 * `--no-flag` (a boolean without that form is false when absent, so the token goes). Runbooks
 * type `reset --graceful=false` as talosctl takes it.
 */
export function pflagBooleans(tokens: readonly string[], flags: readonly FlagShape[]): string[] {
  const rewritten = new Map<number, string | undefined>();
  for (const item of scanArgv(tokens, flags)) {
    if (item.kind !== 'flag' || item.flag.type !== 'boolean' || item.value === undefined) continue;
    if (item.value === 'true') rewritten.set(item.start, `--${item.flag.name}`);
    else rewritten.set(item.start, item.flag.allowNo ? `--no-${item.flag.name}` : undefined);
  }
  return tokens.flatMap((token, t) => {
    if (!rewritten.has(t)) return [token];
    const replacement = rewritten.get(t);
    return replacement === undefined ? [] : [replacement];
  });
}
