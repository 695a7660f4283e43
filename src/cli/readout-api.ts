// MachineService calls for the node readouts (processes, memory, mounts, dmesg), returning the
// plain records the printers take. One call per node (gRPC metadata `node`); a merged answer of
// the deprecated one-to-many mode names its node in `metadata.hostname`, and a node error in it
// becomes this call's failure. Loaded lazily with the client.
import type {Data} from '../machinery/api/common/common.js';
import {MachineServiceService, type MemInfo} from '../machinery/api/machine/machine.js';
import type {OsClient, ServerStream} from './client.js';
import {messageNode} from './node-api.js';
import type {MemoryRecord, MountRecord, ProcessRecord} from './output/readouts-view.js';

/** One list per message (each node's answer is sorted on its own). */
export async function listProcesses(client: OsClient, node: string): Promise<ProcessRecord[][]> {
  const response = await client.unary(MachineServiceService.processes, {}, node);
  return response.messages.map((message) => {
    const from = messageNode(message.metadata, node);
    return message.processes.map((p) => ({
      node: from,
      pid: p.pid,
      ppid: p.ppid,
      state: p.state,
      threads: p.threads,
      cpuTime: p.cpuTime,
      virtualMemory: p.virtualMemory,
      residentMemory: p.residentMemory,
      command: p.command,
      executable: p.executable,
      args: p.args,
    }));
  });
}

export async function memory(client: OsClient, node: string): Promise<MemoryRecord[]> {
  const response = await client.unary(MachineServiceService.memory, {}, node);
  return response.messages.map((message) => ({
    node: messageNode(message.metadata, node),
    meminfo: {...(message.meminfo ?? ({} as MemInfo))},
  }));
}

export async function mounts(client: OsClient, node: string): Promise<MountRecord[]> {
  const response = await client.unary(MachineServiceService.mounts, {}, node);
  return response.messages.flatMap((message) => {
    const from = messageNode(message.metadata, node);
    return message.stats.map((s) => ({node: from, filesystem: s.filesystem, size: s.size, available: s.available, mountedOn: s.mountedOn}));
  });
}

/**
 * A node's kernel log stream. Without follow it must start answering within the timeout; with
 * follow it may stay silent until the kernel writes.
 */
export function openDmesg(client: OsClient, node: string, options: {follow: boolean; tail: boolean}): ServerStream<Data> {
  return client.serverStream(MachineServiceService.dmesg, options, node, options.follow ? 'none' : 'first-answer');
}

/**
 * A Dmesg message: a record's bytes, or an error the node reports in-band (a record it could not
 * read or parse) while the stream goes on.
 */
export function dmesgChunk(data: Data, node: string): {node: string; bytes?: Uint8Array; error?: string} {
  const from = data.metadata?.hostname || node;
  if (data.metadata?.error) return {node: from, error: data.metadata.error};
  return {node: from, bytes: data.bytes};
}
