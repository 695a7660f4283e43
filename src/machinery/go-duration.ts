// Go's time.Duration.String(), for osctl's messages and tables and osd's kubelet texts alike.

const NS_PER_MS = 1_000_000n;

/** Go's Duration.String for a number of milliseconds: `1m0s`, `1.5s`, `500ms`, `1µs`, `1ns`, `0s`. */
export function formatDuration(ms: number): string {
  const whole = Math.trunc(ms);
  return formatDurationNs(BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6)));
}

/** Go's Duration.String for a number of nanoseconds. */
export function formatDurationNs(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const u = ns < 0n ? -ns : ns;
  if (u === 0n) return '0s';
  if (u < 1_000n) return `${sign}${u}ns`;
  if (u < NS_PER_MS) return `${sign}${decimal(u, 3)}µs`;
  if (u < 1_000n * NS_PER_MS) return `${sign}${decimal(u, 6)}ms`;
  const seconds = u / 1_000_000_000n;
  const secondsText = `${decimal((seconds % 60n) * 1_000_000_000n + (u % 1_000_000_000n), 9)}s`;
  const minutes = seconds / 60n;
  if (minutes === 0n) return `${sign}${secondsText}`;
  const hours = minutes / 60n;
  return `${sign}${hours > 0n ? `${hours}h` : ''}${minutes % 60n}m${secondsText}`;
}

/** value / 10^places with the fraction's trailing zeros (and a bare point) dropped, as Go's fmtFrac. */
function decimal(value: bigint, places: number): string {
  const scale = 10n ** BigInt(places);
  const fraction = (value % scale).toString().padStart(places, '0').replace(/0+$/, '');
  return `${value / scale}${fraction === '' ? '' : `.${fraction}`}`;
}
