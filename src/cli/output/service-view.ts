// `service` in talosctl's three layouts: the list (one row per service and node), the detail view
// (LABEL<TAB>value rows per node) and the action view (NODE RESPONSE). Plain records in, text out;
// every table is rendered once, at the end, as talosctl flushes its tabwriter once.
import {formatDuration} from '../../machinery/go-duration.js';
import {renderTable} from './table.js';

export interface ServiceEventRecord {
  msg: string;
  state: string;
  ts?: Date;
}

export interface ServiceRecord {
  /** the node as the user named it, or the hostname a merged answer carries */
  node: string;
  id: string;
  state: string;
  health: {unknown: boolean; healthy: boolean; lastMessage: string; lastChange?: Date};
  /** oldest first, as ServiceList sends them */
  events: ServiceEventRecord[];
}

export interface ServiceActionRecord {
  node: string;
  resp: string;
}

export const SERVICE_LIST_HEADER = ['NODE', 'SERVICE', 'STATE', 'HEALTH', 'LAST CHANGE', 'LAST EVENT'];
export const SERVICE_ACTION_HEADER = ['NODE', 'RESPONSE'];

/**
 * Go's `time.Since(ts).Round(time.Second).String()`: halves round away from zero, no day unit
 * (`26h3m4s`), negative when the node's clock is ahead. A missing timestamp is protobuf's zero
 * time (1970), as Go's AsTime() reads a nil Timestamp.
 */
export function goAge(then: Date | undefined, now: Date): string {
  const ms = now.getTime() - (then?.getTime() ?? 0);
  const seconds = Math.floor((Math.abs(ms) + 500) / 1000);
  return formatDuration(Math.sign(ms) * seconds * 1000);
}

export function healthText(health: ServiceRecord['health']): string {
  if (health.unknown) return '?';
  return health.healthy ? 'OK' : 'Fail';
}

function newestEvent(service: ServiceRecord): ServiceEventRecord | undefined {
  return service.events[service.events.length - 1];
}

/** The list view, header included (it is printed even when no node answered). */
export function formatServiceList(services: readonly ServiceRecord[], now: Date): string {
  const rows = services.map((service) => {
    const newest = newestEvent(service);
    return [
      service.node,
      service.id,
      service.state,
      healthText(service.health),
      `${newest ? goAge(newest.ts, now) : ''} ago`,
      newest ? newest.msg : '<none>',
    ];
  });
  return renderTable(SERVICE_LIST_HEADER, rows);
}

/** The detail view: no header, all nodes in one table, events newest first. */
export function formatServiceDetail(services: readonly ServiceRecord[], now: Date): string {
  const rows: string[][] = [];
  for (const service of services) {
    rows.push(['NODE', service.node], ['ID', service.id], ['STATE', service.state], ['HEALTH', healthText(service.health)]);
    if (service.health.lastMessage !== '') rows.push(['LAST HEALTH MESSAGE', service.health.lastMessage]);
    let label = 'EVENTS';
    for (let i = service.events.length - 1; i >= 0; i--) {
      const event = service.events[i];
      rows.push([label, `[${event.state}]: ${event.msg} (${goAge(event.ts, now)} ago)`]);
      label = '';
    }
  }
  return renderTable([], rows);
}

/** The start/stop/restart view, header included. */
export function formatServiceActions(results: readonly ServiceActionRecord[]): string {
  return renderTable(SERVICE_ACTION_HEADER, results.map((r) => [r.node, r.resp]));
}
