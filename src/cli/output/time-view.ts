// `time` as talosctl prints it: NODE NTP-SERVER NODE-TIME NTP-SERVER-TIME, the times as Go's
// time.Time.String() of a UTC time (`2026-12-02 13:40:01.25 +0000 UTC`: fraction without trailing
// zeros, none when whole seconds); one tabwriter flush at the end.
import type {PreciseTimestamp} from '../../machinery/time-response.js';
import {renderTable} from './table.js';

export interface TimeRecord {
  node: string;
  server: string;
  localtime: PreciseTimestamp;
  remotetime: PreciseTimestamp;
}

export const TIME_HEADER = ['NODE', 'NTP-SERVER', 'NODE-TIME', 'NTP-SERVER-TIME'];

/** `YYYY-MM-DD HH:MM:SS[.fraction]` of a timestamp, UTC; the fraction has no trailing zeros. */
function utcParts(time: PreciseTimestamp): {date: string; clock: string; fraction: string} {
  const iso = new Date(Number(time.seconds) * 1000).toISOString(); // years 0–9999
  return {date: iso.slice(0, 10), clock: iso.slice(11, 19), fraction: String(time.nanos).padStart(9, '0').replace(/0+$/, '')};
}

/** Go's Time.String() of a UTC time. */
export function goTimeString(time: PreciseTimestamp): string {
  const {date, clock, fraction} = utcParts(time);
  return `${date} ${clock}${fraction === '' ? '' : `.${fraction}`} +0000 UTC`;
}

/** RFC 3339 with nanoseconds, as Go's time.RFC3339Nano writes a UTC time (for -o json|yaml). */
export function rfc3339Nano(time: PreciseTimestamp): string {
  const {date, clock, fraction} = utcParts(time);
  return `${date}T${clock}${fraction === '' ? '' : `.${fraction}`}Z`;
}

export function renderTime(records: readonly TimeRecord[]): string {
  return renderTable(TIME_HEADER, records.map((r) => [r.node, r.server, goTimeString(r.localtime), goTimeString(r.remotetime)]));
}
