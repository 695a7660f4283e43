// Global flags typed before the command id (`osctl -n 10.5.0.2 logs kubelet`), as talosctl users do.
// oclif only parses flags after the command id, so the entry point moves them behind it.

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
 * Returns argv with leading global flags moved after the command words.
 * Stops at the first token that is not a global flag; everything from there keeps its order,
 * and the hoisted flags go before a `--` separator if there is one.
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
  const separator = rest.indexOf('--');
  if (separator === -1) return [...rest, ...hoisted];
  return [...rest.slice(0, separator), ...hoisted, ...rest.slice(separator)];
}
