// Relative times as talosctl words them with go-humanize v1.0.1's RelTime (`config info`:
// "1 year from now", "3 days ago"), magnitude for magnitude, so scripts and eyes see the same text.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;
const YEAR = 12 * MONTH;
const LONG_TIME = 37 * YEAR;

/**
 * go-humanize's default magnitudes: the first whose bound is greater than the difference is
 * used; `unit` divides the difference (truncating) for a `%d` count.
 */
const MAGNITUDES: {below: number; text: (count: number, label: string) => string; unit: number}[] = [
  {below: SECOND, text: () => 'now', unit: SECOND},
  {below: 2 * SECOND, text: (_, label) => `1 second ${label}`, unit: 1},
  {below: MINUTE, text: (n, label) => `${n} seconds ${label}`, unit: SECOND},
  {below: 2 * MINUTE, text: (_, label) => `1 minute ${label}`, unit: 1},
  {below: HOUR, text: (n, label) => `${n} minutes ${label}`, unit: MINUTE},
  {below: 2 * HOUR, text: (_, label) => `1 hour ${label}`, unit: 1},
  {below: DAY, text: (n, label) => `${n} hours ${label}`, unit: HOUR},
  {below: 2 * DAY, text: (_, label) => `1 day ${label}`, unit: 1},
  {below: WEEK, text: (n, label) => `${n} days ${label}`, unit: DAY},
  {below: 2 * WEEK, text: (_, label) => `1 week ${label}`, unit: 1},
  {below: MONTH, text: (n, label) => `${n} weeks ${label}`, unit: WEEK},
  {below: 2 * MONTH, text: (_, label) => `1 month ${label}`, unit: 1},
  {below: YEAR, text: (n, label) => `${n} months ${label}`, unit: MONTH},
  {below: 18 * MONTH, text: (_, label) => `1 year ${label}`, unit: 1},
  {below: 2 * YEAR, text: (_, label) => `2 years ${label}`, unit: 1},
  {below: LONG_TIME, text: (n, label) => `${n} years ${label}`, unit: YEAR},
  {below: Infinity, text: (_, label) => `a long while ${label}`, unit: 1},
];

/**
 * go-humanize's RelTime(a, b, aLabel, bLabel): the distance between the two times, labelled
 * `aLabel` when `a` is not after `b` and `bLabel` when it is.
 */
export function relTime(a: Date, b: Date, aLabel: string, bLabel: string): string {
  const after = a.getTime() > b.getTime();
  const label = after ? bLabel : aLabel;
  const diff = Math.abs(a.getTime() - b.getTime());
  const magnitude = MAGNITUDES.find((m) => m.below > diff)!;
  return magnitude.text(Math.floor(diff / magnitude.unit), label);
}

/** go-humanize's Time(then) against `now`: "3 days ago", "1 year from now". */
export function timeFromNow(then: Date, now: Date): string {
  return relTime(then, now, 'ago', 'from now');
}

const SI_SIZES = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/**
 * go-humanize v1.0.1's Bytes: SI units (powers of 1000), one decimal below 10 ("1.5 MB", "83 MB",
 * "7 B"). Go's %.0f rounds a tie (x.5 exactly) to even, where JavaScript's toFixed rounds it up.
 */
export function humanizeBytes(bytes: bigint | number): string {
  const size = Number(bytes);
  if (size < 10) return `${size} B`;
  const exponent = Math.floor(Math.log(size) / Math.log(1000));
  const value = Math.floor((size / 1000 ** exponent) * 10 + 0.5) / 10;
  const suffix = SI_SIZES[exponent];
  if (value < 10) return `${value.toFixed(1)} ${suffix}`;
  const whole = Math.floor(value);
  const rounded = value - whole === 0.5 ? (whole % 2 === 0 ? whole : whole + 1) : Math.round(value);
  return `${rounded} ${suffix}`;
}
