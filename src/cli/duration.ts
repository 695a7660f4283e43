// Go's time.Duration in text: ParseDuration's syntax (`30s`, `1m30s`, `1.5h`, `500ms`, `1µs`), which
// talosctl users already type, and Duration.String's output (`1m0s`, `2h0m0s`, `1ns`), which they
// already read. The one parser and formatter for every duration the CLI reads or prints.
import {CliError, EXIT_USAGE} from './errors.js';
import {quoteInput} from './quote.js';
import {formatDurationNs} from '../machinery/go-duration.js';

const NS_PER_MS = 1_000_000n;
// Both micro signs, as Go accepts them: U+00B5 (micro sign) and U+03BC (Greek small mu).
const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  '\u00b5s': 1_000n,
  '\u03bcs': 1_000n,
  ms: NS_PER_MS,
  s: 1_000n * NS_PER_MS,
  m: 60_000n * NS_PER_MS,
  h: 3_600_000n * NS_PER_MS,
};
/** Go's Duration is an int64 of nanoseconds. */
const MAX_NS = (1n << 63n) - 1n;
const EXAMPLES = 'use a number with a unit, e.g. 30s, 1m30s, 8760h';

/**
 * The longest wait a timer can take: Node's setTimeout (and grpc-js's connectivity watch) treats
 * anything above 2^31-1 ms (24.8 days) as 1 ms. Durations may be longer (Go's limit, as talosctl
 * allows `--timeout 8760h`); the timers built from them wait at most this long (see timerDelay).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A wait of `ms` as a timer can take it: at least 0, at most MAX_TIMER_MS. Every setTimeout built from a user's duration goes through this. */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}

export class DurationSyntaxError extends Error {
  override name = 'DurationSyntaxError';
}

/** Valid syntax, but beyond what Go's int64 of nanoseconds holds. */
export class DurationRangeError extends DurationSyntaxError {
  override name = 'DurationRangeError';
}

/** Go's time.ParseDuration, to exact nanoseconds: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or `0`. */
export function parseDurationNs(text: string): bigint {
  const invalid = (why: string) => new DurationSyntaxError(`invalid duration ${quoteInput(text)}: ${why}`);
  // No trimming: Go's ParseDuration refuses spaces, so talosctl refuses `' 3s'` too.
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw invalid(EXAMPLES);
  let total = 0n;
  const part = /^(\d*)(?:\.(\d*))?([^\d.]*)/;
  while (rest !== '') {
    const [whole, integer, fraction, unit] = part.exec(rest)!;
    if (integer === '' && !fraction) throw invalid(EXAMPLES);
    if (unit === '') throw invalid(`missing unit; ${EXAMPLES}`);
    const unitNs = UNIT_NS[unit];
    if (unitNs === undefined) throw invalid(`unknown unit "${unit}"; valid units are ns, us (or µs), ms, s, m, h`);
    const digits = fraction ?? '';
    total += BigInt(integer || '0') * unitNs + (BigInt(digits || '0') * unitNs) / 10n ** BigInt(digits.length);
    if (total > MAX_NS + (negative ? 1n : 0n)) {
      throw new DurationRangeError(`invalid duration ${quoteInput(text)}: it is longer than the longest duration, ${formatDurationNs(MAX_NS)}`);
    }
    rest = rest.slice(whole.length);
  }
  return negative ? -total : total;
}

/** A Go duration in milliseconds (fractional below 1 ms: `1ns` is 1e-6). */
export function parseDuration(text: string): number {
  return Number(parseDurationNs(text)) / 1e6;
}

/**
 * A duration flag's value in milliseconds: valid Go syntax, positive, and at most Go's longest
 * duration. A bad one is a usage error that names the flag.
 */
export function durationFlag(flag: string, text: string): number {
  let ns: bigint;
  try {
    ns = parseDurationNs(text);
  } catch (err) {
    if (err instanceof DurationRangeError) {
      throw new CliError(`--${flag} ${quoteInput(text)}: the duration must be at most ${formatDurationNs(MAX_NS)}`, EXIT_USAGE);
    }
    if (err instanceof DurationSyntaxError) throw new CliError(`--${flag}: ${err.message}`, EXIT_USAGE);
    throw err;
  }
  if (ns <= 0n) throw new CliError(`--${flag} ${quoteInput(text)}: the duration must be positive, e.g. 30s`, EXIT_USAGE);
  return Number(ns) / 1e6;
}
