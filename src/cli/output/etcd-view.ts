// `etcd members`, `etcd status` and `etcd alarm list|disarm` as talosctl prints them
// (cmd/talosctl/cmd/talos/etcd.go; talos-api.md §9.5, talos-behaviour.md (b) items 10–11): member
// ids as `%016x`, URLs joined with `,`, sizes with go-humanize's Bytes, IN USE as
// `<size> (<pct>%)`, errors joined with `, `. The same records are what -o json|yaml prints.
import {goFixed} from './go-float.js';
import {humanizeBytes} from './humanize.js';

export const MEMBERS_HEADER = ['NODE', 'ID', 'HOSTNAME', 'PEER URLS', 'CLIENT URLS', 'LEARNER'];
export const STATUS_HEADER = ['NODE', 'MEMBER', 'DB SIZE', 'IN USE', 'LEADER', 'RAFT INDEX', 'RAFT TERM', 'RAFT APPLIED INDEX', 'LEARNER', 'PROTOCOL', 'STORAGE', 'ERRORS'];
export const ALARMS_HEADER = ['NODE', 'MEMBER', 'ALARM'];

export interface EtcdMemberRecord {
  node: string;
  /** `%016x` */
  id: string;
  hostname: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

export interface EtcdStatusRecord {
  node: string;
  /** `%016x` */
  memberId: string;
  /** `%016x`; all zeros when the member knows no leader */
  leader: string;
  /** bytes */
  dbSize: bigint;
  dbSizeInUse: bigint;
  raftIndex: bigint;
  raftTerm: bigint;
  raftAppliedIndex: bigint;
  isLearner: boolean;
  /** the etcd server version */
  protocolVersion: string;
  storageVersion: string;
  errors: string[];
}

export interface EtcdAlarmRecord {
  node: string;
  /** `%016x` */
  memberId: string;
  /** NONE, NOSPACE or CORRUPT */
  alarm: string;
}

/** Talos's etcd.FormatMemberID. */
export function formatMemberId(id: bigint): string {
  return id.toString(16).padStart(16, '0');
}

export function memberRow(m: EtcdMemberRecord): string[] {
  return [m.node, m.id, m.hostname, m.peerUrls.join(','), m.clientUrls.join(','), String(m.isLearner)];
}

/** IN USE's percentage: in use / size × 100 with 2 decimals, 0.00 for an empty database. */
export function inUsePercent(dbSize: bigint, dbSizeInUse: bigint): string {
  const ratio = dbSize > 0n ? (Number(dbSizeInUse) / Number(dbSize)) * 100 : 0;
  return goFixed(ratio, 2);
}

export function statusRow(s: EtcdStatusRecord): string[] {
  return [
    s.node,
    s.memberId,
    humanizeBytes(s.dbSize),
    `${humanizeBytes(s.dbSizeInUse)} (${inUsePercent(s.dbSize, s.dbSizeInUse)}%)`,
    s.leader,
    String(s.raftIndex),
    String(s.raftTerm),
    String(s.raftAppliedIndex),
    String(s.isLearner),
    s.protocolVersion,
    s.storageVersion,
    s.errors.join(', '),
  ];
}

export function alarmRow(a: EtcdAlarmRecord): string[] {
  return [a.node, a.memberId, a.alarm];
}

/**
 * A member id as talosctl's ParseMemberID reads it: strconv.ParseUint(s, 16, 64), so hex digits
 * only (either case; no 0x, sign or underscores). Throws Go's texts; `quoted` is the input as the
 * message shows it.
 */
export function parseMemberId(text: string, quoted: string): bigint {
  const prefix = `error parsing etcd member id: strconv.ParseUint: parsing ${quoted}`;
  if (!/^[0-9a-fA-F]+$/.test(text)) throw new Error(`${prefix}: invalid syntax`);
  const id = BigInt(`0x${text}`);
  if (id > 0xffff_ffff_ffff_ffffn) throw new Error(`${prefix}: value out of range`);
  return id;
}
