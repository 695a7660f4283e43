// The node readouts of issue 7: Processes (the node's processes, NodeInside.scope), and the
// machine-level ones, always the host's as the host is the node's kernel: Memory, Mounts, Dmesg,
// SystemStat, CPUInfo, LoadAvg, DiskStats, NetworkDeviceStats. Failures are plain errors (gRPC
// Unknown), as Talos's handlers return them.
import {MachineServiceService} from '../../machinery/api/machine/machine.js';
import {
  bootTimeMicros, formatKmsgRecord, openKmsg, parseKmsgRecord, readKmsg, KMSG_PATH,
} from '../inside/kmsg.js';
import {
  parseCpuinfo, parseDiskstats, parseLoadavg, parseMeminfo, parseNetDev, parseProcStat, readProcFile,
} from '../inside/kernel-counters.js';
import {measureMounts} from '../inside/mounts.js';
import type {NodeInside} from '../inside/node-inside.js';
import {nodeProcessInfos} from '../inside/process-info.js';
import {PROC} from '../inside/proc.js';
import {serverStreamMethod, unaryMethod, type LocalMethod} from './methods.js';
import {RpcError} from './rpc-error.js';
import {plainError} from './service-methods.js';

/** Where the kernel readouts come from (tests point them at recorded files). */
export interface ReadoutSources {
  proc: string;
  kmsg: string;
  kmsgPollMs?: number;
}

const HOST_SOURCES: ReadoutSources = {proc: PROC, kmsg: KMSG_PATH};

/** Runs a readout; what fails becomes a plain error with its text. */
async function plain<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RpcError) throw error;
    throw plainError(error instanceof Error ? error.message : String(error));
  }
}

export function readoutMethods(inside: NodeInside, sources: ReadoutSources = HOST_SOURCES): Array<[string, LocalMethod]> {
  const proc = (name: string) => readProcFile(`${sources.proc}/${name}`);
  return [
    unaryMethod(MachineServiceService.processes, () =>
      plain(async () => ({messages: [{processes: await nodeProcessInfos(inside)}]}))),

    unaryMethod(MachineServiceService.memory, () =>
      plain(async () => ({messages: [{meminfo: parseMeminfo(await proc('meminfo'))}]}))),

    unaryMethod(MachineServiceService.mounts, () =>
      plain(async () => ({messages: [{stats: await measureMounts(`${sources.proc}/mounts`)}]}))),

    unaryMethod(MachineServiceService.loadAvg, () =>
      plain(async () => ({messages: [parseLoadavg(await proc('loadavg'))]}))),

    unaryMethod(MachineServiceService.systemStat, () =>
      plain(async () => ({messages: [parseProcStat(await proc('stat'))]}))),

    unaryMethod(MachineServiceService.cpuInfo, () =>
      plain(async () => ({messages: [{cpuInfo: parseCpuinfo(await proc('cpuinfo'))}]}))),

    unaryMethod(MachineServiceService.diskStats, () =>
      plain(async () => ({messages: [parseDiskstats(await proc('diskstats'))]}))),

    unaryMethod(MachineServiceService.networkDeviceStats, () =>
      plain(async () => ({messages: [parseNetDev(await proc('net/dev'))]}))),

    serverStreamMethod(MachineServiceService.dmesg, async (request, {signal}, stream) => {
      const boot = bootTimeMicros();
      let handle: Awaited<ReturnType<typeof openKmsg>>;
      try {
        handle = await openKmsg(sources.kmsg);
      } catch (error) {
        throw plainError(`error opening /dev/kmsg reader: ${(error as Error).message}`);
      }
      const sendError = (message: string) => stream.send({metadata: {hostname: '', error: message}, bytes: new Uint8Array()});
      try {
        const options = {follow: request.follow, tail: request.tail, signal, pollMs: sources.kmsgPollMs};
        for await (const packet of readKmsg(handle, options)) {
          // Talos sends a read or parse failure in-band and goes on (after a read failure no record follows).
          if (packet.error !== undefined) {
            await sendError(packet.error.message);
            continue;
          }
          let record: ReturnType<typeof parseKmsgRecord>;
          try {
            record = parseKmsgRecord(packet.raw);
          } catch (error) {
            await sendError((error as Error).message);
            continue;
          }
          await stream.send({bytes: formatKmsgRecord(record, boot)});
        }
      } finally {
        await handle.close();
      }
    }),
  ];
}
