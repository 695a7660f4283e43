// `time` as talosctl prints it: NODE NTP-SERVER NODE-TIME NTP-SERVER-TIME, the times as Go's
// time.Time.String() of a UTC time (`2026-12-02 13:40:01.25 +0000 UTC`: fraction without trailing
// zeros, none when whole seconds); one tabwriter flush at the end.
import {renderTable} from './table.js';

export interface TimeRecord {
  node: string;
  server: string;
  localtime: Date;
  remotetime: Date;
}

export const TIME_HEADER = ['NODE', 'NTP-SERVER', 'NODE-TIME', 'NTP-SERVER-TIME'];

export function goTimeString(date: Date): string {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ, years 0–9999
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === '' ? '' : `.${fraction}`} +0000 UTC`;
}

export function renderTime(records: readonly TimeRecord[]): string {
  return renderTable(TIME_HEADER, records.map((r) => [r.node, r.server, goTimeString(r.localtime), goTimeString(r.remotetime)]));
}
