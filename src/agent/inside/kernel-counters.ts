// The host kernel's counters as Talos's Memory, LoadAvg, SystemStat, CPUInfo, DiskStats and
// NetworkDeviceStats report them (they read the same files through prometheus/procfs): machine-level
// readouts, so always the host's, whatever the node. Pure parsers over the file text, and readers.
// Units are the files': /proc/meminfo in kB (HugePages_* are counts), /proc/stat CPU times in
// seconds (ticks / USER_HZ, 100 as procfs assumes), disk and network counters as the kernel keeps them.
import {readFile} from 'node:fs/promises';
import type {CPUInfo, CPUStat, DiskStat, MemInfo, NetDev, SoftIRQStat, SystemStat} from '../../machinery/api/machine/machine.js';
import {USER_HZ} from './proc.js';

/** Reads a /proc file (size 0: read until EOF); the error names the file. */
export async function readProcFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^[A-Z]+: /, '').replace(/, open '.*'$/, '') : String(error);
    throw new Error(`open ${path}: ${reason}`);
  }
}

function uint(text: string | undefined): bigint {
  return text !== undefined && /^\d+$/.test(text) ? BigInt(text) : 0n;
}

const MEMINFO_FIELDS: Record<string, keyof MemInfo> = {
  MemTotal: 'memtotal', MemFree: 'memfree', MemAvailable: 'memavailable', Buffers: 'buffers', Cached: 'cached',
  SwapCached: 'swapcached', Active: 'active', Inactive: 'inactive', 'Active(anon)': 'activeanon',
  'Inactive(anon)': 'inactiveanon', 'Active(file)': 'activefile', 'Inactive(file)': 'inactivefile',
  Unevictable: 'unevictable', Mlocked: 'mlocked', SwapTotal: 'swaptotal', SwapFree: 'swapfree', Dirty: 'dirty',
  Writeback: 'writeback', AnonPages: 'anonpages', Mapped: 'mapped', Shmem: 'shmem', Slab: 'slab',
  SReclaimable: 'sreclaimable', SUnreclaim: 'sunreclaim', KernelStack: 'kernelstack', PageTables: 'pagetables',
  NFS_Unstable: 'nfsunstable', Bounce: 'bounce', WritebackTmp: 'writebacktmp', CommitLimit: 'commitlimit',
  Committed_AS: 'committedas', VmallocTotal: 'vmalloctotal', VmallocUsed: 'vmallocused', VmallocChunk: 'vmallocchunk',
  HardwareCorrupted: 'hardwarecorrupted', AnonHugePages: 'anonhugepages', ShmemHugePages: 'shmemhugepages',
  ShmemPmdMapped: 'shmempmdmapped', CmaTotal: 'cmatotal', CmaFree: 'cmafree', HugePages_Total: 'hugepagestotal',
  HugePages_Free: 'hugepagesfree', HugePages_Rsvd: 'hugepagesrsvd', HugePages_Surp: 'hugepagessurp',
  Hugepagesize: 'hugepagesize', DirectMap4k: 'directmap4k', DirectMap2M: 'directmap2m', DirectMap1G: 'directmap1g',
};

/** /proc/meminfo as MemInfo: the file's numbers unchanged (kB); a line this kernel lacks stays 0, as Talos sends it. */
export function parseMeminfo(text: string): MemInfo {
  const info = Object.fromEntries(Object.values(MEMINFO_FIELDS).map((field) => [field, 0n])) as unknown as MemInfo;
  for (const line of text.split('\n')) {
    const match = /^([^:\s]+):\s+(\d+)/.exec(line);
    const field = match && MEMINFO_FIELDS[match[1]];
    if (field) info[field] = BigInt(match[2]);
  }
  return info;
}

export function parseLoadavg(text: string): {load1: number; load5: number; load15: number} {
  const [load1, load5, load15] = text.trim().split(/\s+/).map(Number);
  if (![load1, load5, load15].every(Number.isFinite)) throw new Error(`unexpected /proc/loadavg: ${JSON.stringify(text.trim())}`);
  return {load1, load5, load15};
}

function cpuStat(values: string[]): CPUStat {
  const seconds = (i: number) => Number(values[i] ?? 0) / USER_HZ;
  return {
    user: seconds(0), nice: seconds(1), system: seconds(2), idle: seconds(3), iowait: seconds(4),
    irq: seconds(5), softIrq: seconds(6), steal: seconds(7), guest: seconds(8), guestNice: seconds(9),
  };
}

const EMPTY_CPU: CPUStat = cpuStat([]);

/** /proc/stat as SystemStat; `cpu` is indexed by core number (an offline core's entry is zero). */
export function parseProcStat(text: string): Omit<SystemStat, 'metadata'> {
  const stat: Omit<SystemStat, 'metadata'> = {
    bootTime: 0n, cpuTotal: EMPTY_CPU, cpu: [], irqTotal: 0n, irq: [], contextSwitches: 0n, processCreated: 0n,
    processRunning: 0n, processBlocked: 0n, softIrqTotal: 0n, softIrq: undefined,
  };
  for (const line of text.split('\n')) {
    const [key, ...values] = line.trim().split(/\s+/);
    if (key === 'cpu') stat.cpuTotal = cpuStat(values);
    else if (/^cpu\d+$/.test(key)) {
      const core = Number(key.slice(3));
      while (stat.cpu.length < core) stat.cpu.push(EMPTY_CPU);
      stat.cpu[core] = cpuStat(values);
    } else if (key === 'intr') {
      stat.irqTotal = uint(values[0]);
      stat.irq = values.slice(1).map(uint);
    } else if (key === 'ctxt') stat.contextSwitches = uint(values[0]);
    else if (key === 'btime') stat.bootTime = uint(values[0]);
    else if (key === 'processes') stat.processCreated = uint(values[0]);
    else if (key === 'procs_running') stat.processRunning = uint(values[0]);
    else if (key === 'procs_blocked') stat.processBlocked = uint(values[0]);
    else if (key === 'softirq') {
      stat.softIrqTotal = uint(values[0]);
      const [hi, timer, netTx, netRx, block, blockIoPoll, tasklet, sched, hrtimer, rcu] = values.slice(1).map(uint);
      const soft: SoftIRQStat = {hi, timer, netTx, netRx, block, blockIoPoll, tasklet, sched, hrtimer, rcu};
      for (const name of Object.keys(soft) as (keyof SoftIRQStat)[]) soft[name] ??= 0n;
      stat.softIrq = soft;
    }
  }
  return stat;
}

function emptyCpuInfo(): CPUInfo {
  return {
    processor: 0, vendorId: '', cpuFamily: '', model: '', modelName: '', stepping: '', microcode: '', cpuMhz: 0,
    cacheSize: '', physicalId: '', siblings: 0, coreId: '', cpuCores: 0, apicId: '', initialApicId: '', fpu: '',
    fpuException: '', cpuIdLevel: 0, wp: '', flags: [], bugs: [], bogoMips: 0, clFlushSize: 0, cacheAlignment: 0,
    addressSizes: '', powerManagement: '',
  };
}

/** /proc/cpuinfo, one entry per `processor` block (x86 names; ARM's `Features` and `BogoMIPS` too). */
export function parseCpuinfo(text: string): CPUInfo[] {
  const cpus: CPUInfo[] = [];
  let cpu: CPUInfo | undefined;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'processor') {
      cpu = emptyCpuInfo();
      cpu.processor = Number(value) || 0;
      cpus.push(cpu);
      continue;
    }
    if (cpu === undefined) continue;
    const number = () => Number(value) || 0;
    switch (key.toLowerCase()) {
      case 'vendor_id': case 'vendorid': cpu.vendorId = value; break;
      case 'cpu family': cpu.cpuFamily = value; break;
      case 'model': cpu.model = value; break;
      case 'model name': cpu.modelName = value; break;
      case 'stepping': cpu.stepping = value; break;
      case 'microcode': cpu.microcode = value; break;
      case 'cpu mhz': cpu.cpuMhz = number(); break;
      case 'cache size': cpu.cacheSize = value; break;
      case 'physical id': cpu.physicalId = value; break;
      case 'siblings': cpu.siblings = number(); break;
      case 'core id': cpu.coreId = value; break;
      case 'cpu cores': cpu.cpuCores = number(); break;
      case 'apicid': cpu.apicId = value; break;
      case 'initial apicid': cpu.initialApicId = value; break;
      case 'fpu': cpu.fpu = value; break;
      case 'fpu_exception': cpu.fpuException = value; break;
      case 'cpuid level': cpu.cpuIdLevel = number(); break;
      case 'wp': cpu.wp = value; break;
      case 'flags': case 'features': cpu.flags = value.split(/\s+/).filter(Boolean); break;
      case 'bugs': cpu.bugs = value.split(/\s+/).filter(Boolean); break;
      case 'bogomips': cpu.bogoMips = number(); break;
      case 'clflush size': cpu.clFlushSize = number(); break;
      case 'cache_alignment': cpu.cacheAlignment = number(); break;
      case 'address sizes': cpu.addressSizes = value; break;
      case 'power management': cpu.powerManagement = value; break;
    }
  }
  return cpus;
}

const DISK_FIELDS = [
  'readCompleted', 'readMerged', 'readSectors', 'readTimeMs', 'writeCompleted', 'writeMerged', 'writeSectors',
  'writeTimeMs', 'ioInProgress', 'ioTimeMs', 'ioTimeWeightedMs', 'discardCompleted', 'discardMerged',
  'discardSectors', 'discardTimeMs',
] as const;

/** /proc/diskstats: every device line with the discard counters (kernel 4.18+), and their sums as `total` (no name). */
export function parseDiskstats(text: string): {total: DiskStat; devices: DiskStat[]} {
  const total = {name: '', ...Object.fromEntries(DISK_FIELDS.map((f) => [f, 0n]))} as DiskStat;
  const devices: DiskStat[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 18) continue;
    const device = {name: fields[2]} as DiskStat;
    DISK_FIELDS.forEach((field, i) => {
      if (!/^\d+$/.test(fields[3 + i])) throw new Error(`unexpected /proc/diskstats line: ${JSON.stringify(line.trim())}`);
      device[field] = BigInt(fields[3 + i]);
      total[field] += device[field];
    });
    devices.push(device);
  }
  return {total, devices};
}

const NETDEV_FIELDS = [
  'rxBytes', 'rxPackets', 'rxErrors', 'rxDropped', 'rxFifo', 'rxFrame', 'rxCompressed', 'rxMulticast',
  'txBytes', 'txPackets', 'txErrors', 'txDropped', 'txFifo', 'txCollisions', 'txCarrier', 'txCompressed',
] as const;

/** /proc/net/dev in file order; `total` sums them, named by the sorted device names joined with ", " (procfs's Total). */
export function parseNetDev(text: string): {total: NetDev; devices: NetDev[]} {
  const devices: NetDev[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.lastIndexOf(':');
    if (colon < 0) continue;
    const values = line.slice(colon + 1).trim().split(/\s+/);
    if (values.length < NETDEV_FIELDS.length) continue;
    const device = {name: line.slice(0, colon).trim()} as NetDev;
    NETDEV_FIELDS.forEach((field, i) => (device[field] = uint(values[i])));
    devices.push(device);
  }
  const total = {name: devices.map((d) => d.name).sort().join(', ')} as NetDev;
  for (const field of NETDEV_FIELDS) total[field] = devices.reduce((sum, d) => sum + d[field], 0n);
  return {total, devices};
}
