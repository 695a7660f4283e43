// machine.MachineService Netstat as Talos answers it: the host network namespace's socket tables
// the request asks for (tcp, tcp6, udp, udp6, udplite, udplite6, raw, raw6, in that order), kept
// by the filter (LISTENING: remote address unspecified and port 0; CONNECTED: both set), with the
// owning process when `feature.pid` is set. A node is osd and its descendants: only sockets one
// of them holds are the node's (a socket no process holds, e.g. TIME_WAIT, belongs to no node);
// a host agent reports every socket of the host. osd runs pods in the host network, so there are
// no pod network namespaces: `netns` names and `allnetns` add nothing.
import {MachineServiceService, NetstatRequest_Filter, type ConnectRecord, type NetstatRequest} from '../../machinery/api/machine/machine.js';
import type {NodeInside} from '../inside/node-inside.js';
import {nodeProcesses} from '../inside/proc.js';
import {readSocketTable, SOCKET_TABLES, socketOwners, type SocketEntry, type SocketTable} from '../inside/sockets.js';
import {unaryMethod, type LocalMethod} from './methods.js';

export function netstatMethods(inside: NodeInside): Array<[string, LocalMethod]> {
  return [
    unaryMethod(MachineServiceService.netstat, async (request, context) => {
      const records = await nodeSockets(inside, request, context.signal);
      return {messages: [{connectrecord: records}]};
    }),
  ];
}

/** The tables a request asks for, in Talos's order. */
export function requestedTables(request: NetstatRequest): SocketTable[] {
  if (request.netns !== undefined && !request.netns.hostnetwork) return [];
  const l4 = request.l4proto;
  if (l4 === undefined) return [];
  return SOCKET_TABLES.filter((table) => l4[table]);
}

export function acceptedByFilter(filter: NetstatRequest_Filter, entry: SocketEntry): boolean {
  switch (filter) {
    case NetstatRequest_Filter.LISTENING:
      return entry.remoteUnspecified && entry.remotePort === 0;
    case NetstatRequest_Filter.CONNECTED:
      return !entry.remoteUnspecified && entry.remotePort !== 0;
    default:
      return true;
  }
}

async function nodeSockets(inside: NodeInside, request: NetstatRequest, signal: AbortSignal): Promise<ConnectRecord[]> {
  const tables = requestedTables(request);
  if (tables.length === 0) return [];
  const withPid = request.feature?.pid === true;
  // Owners are needed to keep a node's own sockets, and for -p; a host agent without -p needs none.
  const processes = inside.scope === 'host' && !withPid ? [] : await nodeProcesses(inside);
  signal.throwIfAborted();
  const owners = await socketOwners(processes);
  signal.throwIfAborted();
  const records: ConnectRecord[] = [];
  for (const table of tables) {
    for (const entry of await readSocketTable(table)) {
      if (!acceptedByFilter(request.filter, entry)) continue;
      const owner = owners.get(entry.inode);
      if (inside.scope === 'node' && owner === undefined) continue;
      records.push(connectRecord(entry, withPid ? owner : undefined));
    }
    signal.throwIfAborted();
  }
  return records;
}

function connectRecord(entry: SocketEntry, owner: {pid: number; name: string} | undefined): ConnectRecord {
  return {
    l4proto: entry.transport,
    localip: entry.localIp,
    localport: entry.localPort,
    remoteip: entry.remoteIp,
    remoteport: entry.remotePort,
    state: entry.state,
    txqueue: entry.txQueue,
    rxqueue: entry.rxQueue,
    tr: entry.timerActive,
    timerwhen: entry.timerWhen,
    retrnsmt: entry.retransmits,
    uid: entry.uid,
    timeout: entry.timeout,
    inode: entry.inode,
    ref: entry.ref,
    pointer: entry.pointer,
    // Talos always sends a Process, empty when none was looked up or found.
    process: owner === undefined ? {pid: 0, name: ''} : {pid: owner.pid, name: owner.name},
    netns: '',
  };
}
