// The etcd maintenance methods (EtcdMemberList, EtcdStatus, EtcdLeaveCluster,
// EtcdRemoveMemberByID, EtcdForfeitLeadership, EtcdAlarmList/Disarm, EtcdDefragment, EtcdSnapshot)
// with Talos's semantics and texts (talos-behaviour.md (b) items 1–8), through EtcdAccess.
// Each starts with Talos's control-plane check; etcd's failures are plain errors (code Unknown)
// worded as Talos wraps them.
import {status} from '@grpc/grpc-js';
import {AlarmRequest_AlarmAction, AlarmType, type AlarmMember, type Member} from '../../machinery/api/etcdserverpb/rpc.js';
import {EtcdMemberAlarm_AlarmType, MachineServiceService, type EtcdMember, type EtcdMemberAlarm} from '../../machinery/api/machine/machine.js';
import {requireControlPlane, type EtcdAccess} from '../etcd/access.js';
import type {EtcdClient} from '../etcd/client.js';
import {
  DEFAULT_LEAVE_TIMINGS, ETCD_MEMBER_NOT_FOUND, EtcdOperationError, etcdErrorText, leaveCluster, localMemberId, type LeaveTimings,
} from '../etcd/membership.js';
import {serverStreamMethod, unaryMethod, type LocalMethod} from './methods.js';
import {RpcError} from './rpc-error.js';
import {plainError} from './service-methods.js';
import type {ResponseStream} from './stream-sink.js';

export interface EtcdMethodsOptions {
  leaveTimings?: Readonly<LeaveTimings>;
  /** Largest Data message of a snapshot: etcd's 32 KiB blobs are joined up to it (fewer, larger messages stream faster). */
  snapshotChunkBytes?: number;
  /** How long etcd may send nothing during a snapshot (SNAPSHOT_STALL_MS). */
  snapshotStallMs?: number;
  /** How long a method looks for a member that answers (FIND_MEMBER_MS). */
  findMemberMs?: number;
}

/** Defragmenting a large database takes long; the caller's deadline (signal) bounds it too. */
const DEFRAGMENT_TIMEOUT_MS = 10 * 60_000;
/**
 * 128 KiB: each message is copied twice into a new buffer (here, and by grpc-js's framing); a new
 * 1 MiB buffer costs page faults on every touch (≈ 5 ms per MB measured, half of osd's CPU for a
 * snapshot), 128 KiB ones come from malloc's heap. osd's CPU per snapshot halved (2026-12-02).
 */
export const DEFAULT_SNAPSHOT_CHUNK_BYTES = 128 << 10;
/** etcd waits for the transferee to take over (an election or two); a busy member needs more than a call's 5 s. */
const MOVE_LEADER_TIMEOUT_MS = 30_000;

/**
 * How long a method looks for a member that answers: without it a call with no deadline would wait
 * for ever while no control plane runs etcd (Talos's client gives up on dialing too).
 */
const FIND_MEMBER_MS = 10_000;

export function etcdMethods(etcd: EtcdAccess, options: EtcdMethodsOptions = {}): Array<[string, LocalMethod]> {
  const leaveTimings = options.leaveTimings ?? DEFAULT_LEAVE_TIMINGS;
  const chunkBytes = options.snapshotChunkBytes ?? DEFAULT_SNAPSHOT_CHUNK_BYTES;
  const check = (api: string): void => requireControlPlane(etcd.machineType(), api);
  const findMemberMs = options.findMemberMs ?? FIND_MEMBER_MS;
  const findingMember = (signal: AbortSignal): AbortSignal => AbortSignal.any([signal, AbortSignal.timeout(findMemberMs)]);
  const clusterClient = async (signal: AbortSignal): Promise<EtcdClient> => {
    try {
      return await etcd.clusterClient(findingMember(signal));
    } catch (error) {
      throw plainError(`failed to create etcd client: ${etcdErrorText(error)}`);
    }
  };
  return [
    unaryMethod(MachineServiceService.etcdMemberList, async (request, {signal}) => {
      check('member list');
      // Talos returns the client's errors as they are.
      const client = request.queryLocal ? etcd.localClient() : await etcd.clusterClient(findingMember(signal)).catch(asPlain(''));
      const response = await client.memberList({signal, requireLeader: true}).catch(asPlain(''));
      return {messages: [{legacyMembers: response.members.map((m) => m.name), members: response.members.map(memberMessage)}]};
    }),

    unaryMethod(MachineServiceService.etcdStatus, async (_request, {signal}) => {
      check('etcd status');
      const response = await etcd.localClient().status({signal}).catch(asPlain('failed to query etcd status: '));
      return {
        messages: [
          {
            memberStatus: {
              memberId: response.header?.memberId ?? 0n,
              protocolVersion: response.version,
              dbSize: response.dbSize,
              dbSizeInUse: response.dbSizeInUse,
              leader: response.leader,
              raftIndex: response.raftIndex,
              raftTerm: response.raftTerm,
              raftAppliedIndex: response.raftAppliedIndex,
              storageVersion: response.storageVersion || storageVersionOf(response.version),
              errors: response.errors,
              isLearner: response.isLearner,
            },
          },
        ],
      };
    }),

    unaryMethod(MachineServiceService.etcdLeaveCluster, async (_request, {signal}) => {
      check('etcd leave');
      await leaveCluster(etcd, signal, leaveTimings).catch(asPlain(''));
      return {messages: [{}]};
    }),

    unaryMethod(MachineServiceService.etcdRemoveMemberById, async (request, {signal}) => {
      check('etcd remove member');
      const client = await clusterClient(signal);
      try {
        await client.memberRemove(request.memberId, {signal, requireLeader: true});
      } catch (error) {
        const text = `failed to remove member ${request.memberId}: ${etcdErrorText(error)}`;
        if (etcdErrorText(error) === ETCD_MEMBER_NOT_FOUND) throw new RpcError(status.NOT_FOUND, text);
        throw plainError(`failed to remove member: ${text}`);
      }
      return {messages: [{}]};
    }),

    unaryMethod(MachineServiceService.etcdForfeitLeadership, async (_request, {signal}) => {
      check('etcd forfeit leadership');
      const client = await clusterClient(signal);
      const memberId = await localMemberId(etcd, signal, leaveTimings.memberIdWaitMs).catch(asPlain(''));
      const member = await forfeitLeadership(client, etcd.localClient(), memberId, signal).catch(asPlain('failed to forfeit leadership: '));
      return {messages: [{member}]};
    }),

    unaryMethod(MachineServiceService.etcdAlarmList, async (_request, {signal}) => {
      check('etcd alarm list');
      const response = await etcd.localClient().alarm({action: AlarmRequest_AlarmAction.GET, memberID: 0n, alarm: AlarmType.NONE}, {signal}).catch(asPlain('failed to list etcd alarms: '));
      return {messages: [{memberAlarms: response.alarms.map(alarmMessage)}]};
    }),

    unaryMethod(MachineServiceService.etcdAlarmDisarm, async (_request, {signal}) => {
      // Talos checks with the alarm list's name here too (v1alpha1_server.go).
      check('etcd alarm list');
      const disarmed = await disarmAll(etcd.localClient(), signal).catch(asPlain('failed to disarm etcd alarm: '));
      return {messages: [{memberAlarms: disarmed.map(alarmMessage)}]};
    }),

    unaryMethod(MachineServiceService.etcdDefragment, async (_request, {signal}) => {
      check('etcd defragment');
      await etcd.localClient().defragment({signal, timeoutMs: DEFRAGMENT_TIMEOUT_MS}).catch(asPlain('failed to defragment etcd: '));
      return {messages: [{}]};
    }),

    // Chunks leave encoded already (see streamSnapshot): the generated encoder would copy each twice more.
    serverStreamMethod({...MachineServiceService.etcdSnapshot, responseSerialize: (encoded: Buffer) => encoded}, async (_request, {signal}, stream) => {
      check('etcd snapshot');
      await streamSnapshot(etcd.localClient(), stream, signal, chunkBytes, options.snapshotStallMs);
    }),
  ];
}

/** A failure as Talos reports it: `prefix` + etcd's text, code Unknown; texts already final are kept. */
function asPlain(prefix: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof RpcError) throw error;
    if (error instanceof EtcdOperationError) throw plainError(prefix + error.message);
    throw plainError(prefix + etcdErrorText(error));
  };
}

function memberMessage(member: Member): EtcdMember {
  return {id: member.ID, hostname: member.name, peerUrls: member.peerURLs, clientUrls: member.clientURLs, isLearner: member.isLearner};
}

function alarmMessage(alarm: AlarmMember): EtcdMemberAlarm {
  const type = alarm.alarm === AlarmType.NOSPACE ? EtcdMemberAlarm_AlarmType.NOSPACE : alarm.alarm === AlarmType.CORRUPT ? EtcdMemberAlarm_AlarmType.CORRUPT : EtcdMemberAlarm_AlarmType.NONE;
  return {memberId: alarm.memberID, alarm: type};
}

/** etcd < 3.6 reports no storage version: Talos derives `major.minor.0` from the server version, else `unknown`. */
export function storageVersionOf(version: string): string {
  const semver = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(version);
  return semver === null ? 'unknown' : `${semver[1]}.${semver[2]}.0`;
}

/** clientv3's AlarmDisarm of no particular alarm: every active alarm is deactivated; the cleared ones are returned. */
async function disarmAll(client: EtcdClient, signal: AbortSignal): Promise<AlarmMember[]> {
  const active = await client.alarm({action: AlarmRequest_AlarmAction.GET, memberID: 0n, alarm: AlarmType.NONE}, {signal});
  const cleared: AlarmMember[] = [];
  for (const alarm of active.alarms) {
    const response = await client.alarm({action: AlarmRequest_AlarmAction.DEACTIVATE, memberID: alarm.memberID, alarm: alarm.alarm}, {signal});
    cleared.push(...response.alarms);
  }
  return cleared;
}

/**
 * Talos's ForfeitLeadership (item 5): nothing to do ("") when this member is not the leader;
 * otherwise leadership moves to the first other member in MemberList order and its name is returned.
 * The local member's own client answers Status and MoveLeader (Talos dials its client URL).
 * Unlike Talos, leadership is checked first and a member in an election ("no leader") counts as
 * not leading: forfeit-leadership fans out to every control plane, and the others must not fail,
 * nor forfeit in turn, while the leader's own call hands leadership over.
 */
async function forfeitLeadership(cluster: EtcdClient, local: EtcdClient, memberId: bigint, signal: AbortSignal): Promise<string> {
  let leader: bigint;
  try {
    leader = (await local.status({signal})).leader;
  } catch (error) {
    throw new EtcdOperationError(etcdErrorText(error));
  }
  // A member that is not the leader (or sees no leader, as while the leader's own call hands
  // over) has nothing to forfeit: the leader-requiring list failing then is not an error.
  const list = await cluster.memberList({signal, requireLeader: true}).catch((error: unknown) => {
    if (leader !== memberId) return undefined;
    throw new EtcdOperationError(`failed to list etcd members: ${etcdErrorText(error)}`);
  });
  if (list === undefined) return '';
  if (list.members.length === 1) throw new EtcdOperationError('cannot forfeit leadership, only one member');
  const self = list.members.find((m) => m.ID === memberId);
  if (self === undefined) throw new EtcdOperationError(`failed to find "${memberId.toString(16).padStart(16, '0')}" in list of etcd members`);
  if (self.clientURLs.length === 0 || leader !== self.ID) return '';
  const next = list.members.find((m) => m.ID !== self.ID);
  if (next === undefined) return '';
  try {
    await local.moveLeader(next.ID, {signal, requireLeader: true, timeoutMs: MOVE_LEADER_TIMEOUT_MS});
  } catch (error) {
    // Leadership moved on by itself meanwhile: nothing left to forfeit.
    if (etcdErrorText(error) === 'etcdserver: not leader') return '';
    throw error;
  }
  return next.name;
}

/** Room before a chunk's bytes for its `common.Data` header: the field tag and up to 5 bytes of length. */
const DATA_HEADER_ROOM = 6;
/** How long etcd may send nothing during a snapshot before the call fails. */
const SNAPSHOT_STALL_MS = 30_000;

/** `common.Data` field 2 (`bytes`), length-delimited. */
const DATA_BYTES_TAG = 0x12;

/**
 * The local member's snapshot as `common.Data` messages: etcd's blobs joined up to `chunkBytes`,
 * the sha256 trailer passed on unchanged. Each message is built in place, encoded (the blobs are
 * copied once, into the message), and sent only when the client has room: the etcd stream is read
 * one message at a time, so a slow client pauses etcd (HTTP/2 flow control). The next chunk is read
 * from etcd while the previous one goes out. A failure of etcd mid-stream ends the call with an
 * error rather than a short, valid-looking file.
 */
async function streamSnapshot(
  client: EtcdClient,
  stream: ResponseStream<Buffer>,
  signal: AbortSignal,
  chunkBytes: number,
  stallMs = SNAPSHOT_STALL_MS,
): Promise<void> {
  const call = client.snapshot(signal);
  // etcd going quiet mid-stream must not hold the call (and the client) for ever; time spent
  // waiting for a slow client does not count.
  let lastProgress = Date.now();
  let waitingForClient = false;
  let stalled = false;
  const watchdog = setInterval(() => {
    if (!waitingForClient && Date.now() - lastProgress > stallMs) {
      stalled = true;
      call.cancel();
    }
  }, Math.min(1000, stallMs));
  let chunk = Buffer.allocUnsafe(DATA_HEADER_ROOM + chunkBytes);
  let filled = 0;
  // At most one encoded chunk waits in the sink while the next is read.
  let room: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    if (filled === 0) return;
    const header = dataHeader(filled);
    header.copy(chunk, DATA_HEADER_ROOM - header.length);
    const message = chunk.subarray(DATA_HEADER_ROOM - header.length, DATA_HEADER_ROOM + filled);
    chunk = Buffer.allocUnsafe(DATA_HEADER_ROOM + chunkBytes);
    filled = 0;
    waitingForClient = true;
    await room;
    waitingForClient = false;
    lastProgress = Date.now();
    room = stream.send(message);
  };
  try {
    for await (const response of call as AsyncIterable<{blob: Uint8Array}>) {
      lastProgress = Date.now();
      let blob = response.blob;
      while (blob.length > 0) {
        const taken = Math.min(blob.length, chunkBytes - filled);
        chunk.set(blob.subarray(0, taken), DATA_HEADER_ROOM + filled);
        filled += taken;
        blob = blob.subarray(taken);
        if (filled === chunkBytes) await flush();
      }
      if (signal.aborted) return;
    }
    await flush();
    await room;
  } catch (error) {
    if (signal.aborted) return;
    if (stalled) throw plainError(`failed reading etcd snapshot: etcd sent nothing for ${stallMs / 1000}s`);
    throw plainError(`failed reading etcd snapshot: ${etcdErrorText(error)}`);
  } finally {
    clearInterval(watchdog);
    call.cancel();
  }
}

/** The tag and varint length that start an encoded `common.Data{bytes}` of `length` bytes. */
function dataHeader(length: number): Buffer {
  const bytes = [DATA_BYTES_TAG];
  let rest = length;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
