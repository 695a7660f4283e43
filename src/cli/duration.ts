// Go-style durations (`30s`, `1m30s`, `8760h`, `500ms`), the syntax talosctl users already type.
import {CliError, EXIT_USAGE} from './errors.js';

const UNIT_MS: Record<string, number> = {ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000};

export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let consumed = 0;
  while (consumed < trimmed.length) {
    part.lastIndex = consumed;
    const match = part.exec(trimmed);
    if (!match) break;
    total += Number(match[1]) * UNIT_MS[match[2]];
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    throw new Error(`invalid duration "${text}": use a number with a unit, e.g. 30s, 1m30s, 8760h`);
  }
  return total;
}

/** A duration flag's value; a bad one is a user error that names the flag. */
export function durationFlag(flag: string, text: string, exitCode = EXIT_USAGE): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new CliError(`--${flag}: ${(err as Error).message}`, exitCode);
  }
}
