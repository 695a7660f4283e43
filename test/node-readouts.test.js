// The node readouts without a cluster: the kernel-log record format (recorded /dev/kmsg records),
// the /proc parsers on recorded files, talosctl's printing (go-humanize Bytes, the COMMAND column,
// memory and mounts rows), the Dmesg open error, and every readout method of two in-process agents
// (127.55.1.x) called through the first for the second, checked against the host's own /proc.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {
  bootTimeMicros, decodeKmsgEscapes, errnoText, formatKmsgRecord, openKmsg, parseKmsgRecord, readKmsg, rfc3339NanoUtc,
} from '../dist/agent/inside/kmsg.js';
import {
  parseCpuinfo, parseDiskstats, parseLoadavg, parseMeminfo, parseNetDev, parseProcStat,
} from '../dist/agent/inside/kernel-counters.js';
import {measureMounts, parseProcMounts} from '../dist/agent/inside/mounts.js';
import {cmdlineArgs, nodeProcessInfos} from '../dist/agent/inside/process-info.js';
import {pageSize} from '../dist/agent/inside/proc.js';
import {readoutMethods} from '../dist/agent/server/readout-methods.js';
import {DmesgRequest} from '../dist/machinery/api/machine/machine.js';
import {humanizeBytes} from '../dist/cli/output/humanize.js';
import {
  memoryRow, memoryVerbose, mountRow, parseDmesgLine, processCommandLine, processRows, sortProcesses,
} from '../dist/cli/output/readouts-view.js';
import {QuietFlushTable} from '../dist/cli/output/table.js';
import {issueClientCert} from '../dist/machinery/pki.js';
import {DAY, MachineClient, startAgents, unary} from './helpers/agents.js';

const BOOT = 1_764_670_000_000_000n; // 2025-12-02T10:06:40Z in µs

describe('kernel log records', () => {
  it('formats a record as Talos: facility, priority right-aligned to 7, RFC3339Nano UTC, the message with its newline', () => {
    const record = parseKmsgRecord(Buffer.from('6,339,5140900,-;NET: Registered protocol family 10\n'));
    assert.equal(record.facility, 0);
    assert.equal(record.priority, 6);
    assert.equal(record.sequence, 339n);
    assert.equal(formatKmsgRecord(record, BOOT).toString(), 'kern:    info: [2025-12-02T10:06:45.1409Z]: NET: Registered protocol family 10\n');
  });

  it('keeps continuation lines, decodes \\xNN escapes, names every facility and priority', () => {
    const raw = '7,160,424069,-;pci_root PNP0A03:00: window [io  0x0000-0x0cf7]\\x0a(ignored) \\x5c \\x1b\n SUBSYSTEM=acpi\n DEVICE=+acpi:PNP0A03:00\n';
    const text = formatKmsgRecord(parseKmsgRecord(Buffer.from(raw)), BOOT).toString('latin1');
    assert.equal(text, 'kern:   debug: [2025-12-02T10:06:40.424069Z]: pci_root PNP0A03:00: window [io  0x0000-0x0cf7]\n(ignored) \\ \x1b\n SUBSYSTEM=acpi\n DEVICE=+acpi:PNP0A03:00\n');
    const names = [[(3 << 3) | 3, 'daemon:     err'], [(10 << 3) | 4, 'authpriv: warning'], [(18 << 3) | 0, 'local7:   emerg'], [(16 << 3) | 6, 'local5:    info'], [(1 << 3) | 5, 'user:  notice']];
    for (const [prefix, head] of names) {
      assert.ok(formatKmsgRecord(parseKmsgRecord(Buffer.from(`${prefix},1,0,-;x\n`)), BOOT).toString().startsWith(`${head}: [`));
    }
    // go-kmsg's table runs on from authpriv (10) to local0 (11), so syslog's local0 (16) prints as local5,
    // as on Talos. Past its end (19+) Go would panic; we name the number.
    assert.match(formatKmsgRecord(parseKmsgRecord(Buffer.from(`${(40 << 3) | 6},1,0,-;x\n`)), BOOT).toString(), /^Facility\(40\): {4}info: /);
  });

  it('drops trailing zeros of the fraction, and the dot when it is zero', () => {
    assert.equal(rfc3339NanoUtc(BOOT), '2025-12-02T10:06:40Z');
    assert.equal(rfc3339NanoUtc(BOOT + 500_000n), '2025-12-02T10:06:40.5Z');
    assert.equal(rfc3339NanoUtc(BOOT + 10n), '2025-12-02T10:06:40.00001Z');
    assert.equal(rfc3339NanoUtc(BOOT + 123_456n), '2025-12-02T10:06:40.123456Z');
  });

  it('refuses malformed records with go-kmsg\'s texts', () => {
    assert.throws(() => parseKmsgRecord(Buffer.from('no prefix here')), {message: 'kernel message should contain a prefix'});
    assert.throws(() => parseKmsgRecord(Buffer.from('6,1;x')), {message: 'message metdata should have at least 3 parts, got 2'});
    assert.throws(() => parseKmsgRecord(Buffer.from('x,1,2,-;y')), {message: 'error parsing priority: strconv.ParseInt: parsing "x": invalid syntax'});
    assert.equal(decodeKmsgEscapes(Buffer.from('\\xzz \\x4')).toString(), '\\xzz \\x4');
  });

  it('boot time is now minus the monotonic clock', () => {
    assert.equal(bootTimeMicros(1_000_000, 250_000_000n), 1_000_000_000n - 250_000n);
  });

  it('an unreadable device is an error in Go\'s words, and Dmesg wraps it as Talos does', async () => {
    await assert.rejects(openKmsg('/nonexistent/kmsg'), {message: 'open /nonexistent/kmsg: no such file or directory'});
    assert.equal(errnoText(Object.assign(new Error("EACCES: permission denied, open '/dev/kmsg'"), {code: 'EACCES'})), 'permission denied');
    const methods = new Map(readoutMethods({scope: 'node', pid: process.pid}, {proc: '/proc', kmsg: '/nonexistent/kmsg'}));
    const dmesg = methods.get('/machine.MachineService/Dmesg');
    const sent = [];
    const stream = {send: async (m) => sent.push(m), sendLazily() {}, describeOverrun() {}};
    await assert.rejects(
      dmesg.handle(Buffer.from(DmesgRequest.encode({follow: false, tail: false}).finish()), {signal: new AbortController().signal}, stream),
      (error) => error.code === 2 && error.details === 'error opening /dev/kmsg reader: open /nonexistent/kmsg: no such file or directory',
    );
    assert.equal(sent.length, 0);
  });

  it('the formatted line reads back into the record -o json prints', () => {
    const line = Buffer.from('kern: warning: [2025-12-02T10:06:40.5Z]: a: b [c]\n KEY=v\n');
    assert.deepEqual(parseDmesgLine('n1', line), {node: 'n1', facility: 'kern', priority: 'warning', time: '2025-12-02T10:06:40.5Z', message: 'a: b [c]\n KEY=v'});
  });
});

describe('/proc parsers on recorded files', () => {
  it('meminfo: kB as the file has them, HugePages counts, absent lines zero', () => {
    const info = parseMeminfo('MemTotal:       24683548 kB\nMemFree:        24041736 kB\nActive(anon):      1234 kB\nHugePages_Total:       7\nCommitted_AS:    999 kB\nNFS_Unstable:    3 kB\n');
    assert.equal(info.memtotal, 24683548n);
    assert.equal(info.memfree, 24041736n);
    assert.equal(info.activeanon, 1234n);
    assert.equal(info.hugepagestotal, 7n);
    assert.equal(info.committedas, 999n);
    assert.equal(info.nfsunstable, 3n);
    assert.equal(info.directmap1g, 0n);
  });

  it('loadavg, stat (CPU seconds at 100 ticks, per core by number), cpuinfo, diskstats, net/dev', () => {
    assert.deepEqual(parseLoadavg('0.52 0.58 0.59 2/345 12345\n'), {load1: 0.52, load5: 0.58, load15: 0.59});
    const stat = parseProcStat('cpu  100 2 300 4000 5 6 7 8 9 10\ncpu0 50 1 150 2000 2 3 3 4 4 5\ncpu2 50 1 150 2000 3 3 4 4 5 5\nintr 1000 1 2 3\nctxt 5555\nbtime 1764670000\nprocesses 77\nprocs_running 3\nprocs_blocked 1\nsoftirq 90 1 2 3 4 5 6 7 8 9 10\n');
    assert.equal(stat.cpuTotal.user, 1);
    assert.equal(stat.cpuTotal.idle, 40);
    assert.equal(stat.cpuTotal.guestNice, 0.1);
    assert.equal(stat.cpu.length, 3);
    assert.equal(stat.cpu[1].user, 0, 'an offline core is zero');
    assert.equal(stat.cpu[2].iowait, 0.03);
    assert.deepEqual([stat.irqTotal, stat.irq, stat.contextSwitches, stat.bootTime], [1000n, [1n, 2n, 3n], 5555n, 1764670000n]);
    assert.deepEqual([stat.processCreated, stat.processRunning, stat.processBlocked, stat.softIrqTotal], [77n, 3n, 1n, 90n]);
    assert.equal(stat.softIrq.rcu, 10n);
    assert.equal(stat.softIrq.netRx, 4n);

    const cpus = parseCpuinfo('processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Xeon\ncpu MHz\t\t: 2100.000\nsiblings\t: 2\ncpu cores\t: 2\nflags\t\t: fpu vme de\nbogomips\t: 4200.00\naddress sizes\t: 46 bits physical, 48 bits virtual\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\n');
    assert.equal(cpus.length, 2);
    assert.equal(cpus[0].modelName, 'Xeon');
    assert.equal(cpus[0].cpuMhz, 2100);
    assert.equal(cpus[0].cpuCores, 2);
    assert.deepEqual(cpus[0].flags, ['fpu', 'vme', 'de']);
    assert.equal(cpus[0].addressSizes, '46 bits physical, 48 bits virtual');
    assert.equal(cpus[1].processor, 1);

    const disks = parseDiskstats(' 254       0 vda 100 1 2000 30 40 5 600 70 0 80 90 1 2 3 4 0 0\n   7       0 loop0 1 0 2 0 0 0 0 0 0 0 0\n 254      16 vdb 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n');
    assert.deepEqual(disks.devices.map((d) => d.name), ['vda', 'vdb'], 'lines without discard counters are skipped');
    assert.equal(disks.total.readCompleted, 101n);
    assert.equal(disks.total.discardTimeMs, 5n);
    assert.equal(disks.total.name, '');

    const net = parseNetDev('Inter-|   Receive  |  Transmit\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed\n    lo: 100 2 0 0 0 0 0 0 100 2 0 0 0 0 0 0\n  eth0: 5000 40 1 2 3 4 5 6 7000 50 7 8 9 10 11 12\n');
    assert.deepEqual(net.devices.map((d) => d.name), ['lo', 'eth0']);
    assert.equal(net.devices[1].txCompressed, 12n);
    assert.equal(net.total.name, 'eth0, lo');
    assert.equal(net.total.rxBytes, 5100n);
  });

  it('mounts: the kernel\'s octal escapes decoded; measured mounts include / with statfs\'s numbers', async () => {
    assert.deepEqual(parseProcMounts('/dev/sda1 /mnt/with\\040space ext4 rw 0 0\ntmpfs /run tmpfs rw 0 0\n'), [
      {filesystem: '/dev/sda1', mountedOn: '/mnt/with space'},
      {filesystem: 'tmpfs', mountedOn: '/run'},
    ]);
    const stats = await measureMounts();
    const slash = stats.find((s) => s.mountedOn === '/');
    assert.ok(slash, JSON.stringify(stats.map((s) => s.mountedOn)));
    const fsStat = fs.statfsSync('/', {bigint: true});
    assert.equal(slash.size, fsStat.bsize * fsStat.blocks);
  });

  it('concurrent Mounts calls share the measurements and both see every mount', async () => {
    const [a, b] = await Promise.all([measureMounts(), measureMounts()]);
    assert.deepEqual(a.map((m) => m.mountedOn), b.map((m) => m.mountedOn));
    assert.ok(a.some((m) => m.mountedOn === '/'));
  });

  it('a mount point with a space or a non-ASCII name is measured under its real name', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readouts-'));
    const odd = path.join(dir, 'with space \u00e9t\u00e9');
    fs.mkdirSync(odd);
    const file = path.join(dir, 'mounts');
    fs.writeFileSync(file, `none ${odd.replaceAll(' ', '\\040')} tmpfs rw 0 0\n`);
    const stats = await measureMounts(file);
    assert.deepEqual(stats.map((s) => s.mountedOn), [odd]);
    fs.rmSync(dir, {recursive: true});
  });

  it('a mount point that is gone is left out, not an error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readouts-'));
    const file = path.join(dir, 'mounts');
    fs.writeFileSync(file, `none ${dir}/gone tmpfs rw 0 0\nnone ${dir} tmpfs rw 0 0\nnone ${file} tmpfs rw 0 0\n`);
    const stats = await measureMounts(file);
    assert.deepEqual(stats.map((s) => s.mountedOn), [dir], 'the missing one and the file are left out');
    fs.rmSync(dir, {recursive: true});
  });

  it('processes: this process with its executable, arguments and sizes', async () => {
    assert.equal(cmdlineArgs(Buffer.from('node\0a b\0--x\0\0')), 'node a b --x');
    assert.ok([4096, 16384, 65536].includes(await pageSize()));
    const infos = await nodeProcessInfos({scope: 'node', pid: process.pid});
    const self = infos.find((p) => p.pid === process.pid);
    assert.ok(self);
    assert.equal(self.executable, fs.readlinkSync('/proc/self/exe'));
    assert.equal(self.args, fs.readFileSync('/proc/self/cmdline', 'utf8').replace(/\0+$/, '').replaceAll('\0', ' '));
    assert.ok(self.residentMemory > 10_000_000n && self.virtualMemory > self.residentMemory);
    const pids = new Set(infos.map((p) => p.pid));
    assert.ok(infos.every((p) => p.pid === process.pid || pids.has(p.ppid)), 'only this process and its descendants');
    assert.ok(!pids.has(1) && !pids.has(process.ppid), 'not the processes above it');
  });
});

describe('process scope', () => {
  it('a host agent sees the host\'s processes (this test\'s parent among them), a node agent only its own tree', async () => {
    const host = await nodeProcessInfos({scope: 'host', pid: process.pid});
    const node = await nodeProcessInfos({scope: 'node', pid: process.pid});
    assert.ok(host.some((p) => p.pid === process.ppid), 'the parent is on the host');
    assert.ok(!node.some((p) => p.pid === process.ppid), 'but not in the node\'s tree');
    assert.ok(host.length > node.length);
    assert.ok(host.every((p) => p.executable !== ''), 'kernel threads (no executable) are left out, as Talos does');
  });
});

describe('printing as talosctl', () => {
  it('go-humanize Bytes: SI units, one decimal below 10, ties to even', () => {
    const cases = [[0, '0 B'], [9, '9 B'], [10, '10 B'], [999, '999 B'], [1000, '1.0 kB'], [1500, '1.5 kB'], [9949, '9.9 kB'],
      [9950, '10 kB'], [12500, '12 kB'], [13500, '14 kB'], [82854982, '83 MB'], [1_300_000_000n, '1.3 GB'], [999_999_999_999n, '1000 GB']];
    for (const [bytes, text] of cases) assert.equal(humanizeBytes(bytes), text, String(bytes));
  });

  it('the COMMAND column: the executable in place of its name, the command when there is none, non-ASCII as spaces', () => {
    assert.equal(processCommandLine({command: 'node', executable: '/usr/bin/node', args: 'node /a/osd.js --x'}), '/usr/bin/node /a/osd.js --x');
    assert.equal(processCommandLine({command: 'sh', executable: '/bin/dash', args: 'sh -c x'}), 'sh -c x');
    assert.equal(processCommandLine({command: 'kworker', executable: '', args: ''}), 'kworker');
    assert.equal(processCommandLine({command: 'x', executable: '/bin/x', args: 'x caf\u00e9\ttab\u{1F600}'}), '/bin/x caf  tab ');
  });

  it('processes rows sorted by rss or cpu, largest first, in tabwriter layout', () => {
    const p = (pid, rss, cpu) => ({node: '10.5.0.2', pid, ppid: 1, state: 'S', threads: 3, cpuTime: cpu, virtualMemory: 2_000_000_000n, residentMemory: rss, command: 'x', executable: '/bin/x', args: 'x -v'});
    const procs = [p(1, 100n, 9.5), p(22, 5_000_000n, 0.125), p(333, 10_000n, 100)];
    assert.deepEqual(sortProcesses(procs, 'rss').map((x) => x.pid), [22, 333, 1]);
    assert.deepEqual(sortProcesses(procs, 'cpu').map((x) => x.pid), [333, 1, 22]);
    let out = '';
    const table = new QuietFlushTable({write: (t) => (out += t)}, ['NODE', 'PID', 'STATE', 'THREADS', 'CPU-TIME', 'VIRTMEM', 'RESMEM', 'LABEL', 'COMMAND']);
    table.add(processRows(procs, 'rss'));
    table.end();
    assert.equal(out,
      'NODE       PID   STATE   THREADS   CPU-TIME   VIRTMEM   RESMEM   LABEL   COMMAND\n' +
      '10.5.0.2   22    S       3         0.12       2.0 GB    5.0 MB           /bin/x -v\n' +
      '10.5.0.2   333   S       3         100.00     2.0 GB    10 kB            /bin/x -v\n' +
      '10.5.0.2   1     S       3         9.50       2.0 GB    100 B            /bin/x -v\n');
  });

  it('memory: MB truncated, USED = total - free - cached - buffers; -v in /proc/meminfo\'s words', () => {
    const meminfo = {memtotal: 24683548n, memfree: 24041736n, memavailable: 24205096n, buffers: 4132n, cached: 334000n, shmem: 9300n, hugepagestotal: 0n};
    assert.deepEqual(memoryRow({node: 'n', meminfo}), ['n', '24105', '296', '23478', '9', '4', '326', '23637']);
    const verbose = memoryVerbose({node: 'n', meminfo}).split('\n');
    assert.equal(verbose.length, 50);
    assert.deepEqual(verbose.slice(0, 3), ['NODE: n', 'MemTotal: 24683548 kB', 'MemFree: 24041736 kB']);
    assert.ok(verbose.includes('HugePagesTotal: 0'));
    assert.equal(verbose[48], 'DirectMap1G: 0 kB');
  });

  it('mounts: GB with two decimals and the percentage used; a size-0 filesystem has no row', () => {
    assert.deepEqual(mountRow({node: 'n', filesystem: '/dev/vda', size: 270_550_000_000n, available: 85_310_000_000n, mountedOn: '/'}),
      ['n', '/dev/vda', '270.55', '185.24', '85.31', '68.47%', '/']);
    assert.equal(mountRow({node: 'n', filesystem: 'proc', size: 0n, available: 0n, mountedOn: '/proc'}), undefined);
  });
});

describe('readout methods through a forwarding hop (in-process agents on 127.55.1.x)', () => {
  let agents;
  let client;
  let root;
  const call = (method) => unary(client, method, {}, {node: '127.55.1.3'});

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-readouts-'));
    agents = await startAgents(root, [['cp', '127.55.1.2', 'controlplane'], ['w1', '127.55.1.3', 'worker']], {cluster: 'readouts'});
    const admin = await issueClientCert(agents.ca, {roles: ['os:reader'], ttlMs: DAY});
    client = agents.connect(MachineClient, admin);
  });

  after(async () => {
    await agents?.stop();
    fs.rmSync(root, {recursive: true, force: true});
  });

  it('Memory is the host\'s /proc/meminfo in kB', async () => {
    const [{meminfo}] = (await call('memory')).messages;
    const total = Number(/^MemTotal:\s+(\d+)/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))[1]);
    assert.equal(Number(meminfo.memtotal), total);
    assert.ok(meminfo.memfree > 0n && meminfo.memfree <= meminfo.memtotal);
  });

  it('LoadAvg, SystemStat, CPUInfo, DiskStats, NetworkDeviceStats are the host\'s', async () => {
    const [load] = (await call('loadAvg')).messages;
    assert.ok(load.load1 >= 0 && Number.isFinite(load.load15));
    const [stat] = (await call('systemStat')).messages;
    assert.equal(stat.bootTime, BigInt(/^btime (\d+)/m.exec(fs.readFileSync('/proc/stat', 'utf8'))[1]));
    assert.equal(stat.cpu.length, os.cpus().length);
    assert.ok(stat.cpuTotal.user > 0 && stat.contextSwitches > 0n);
    const [cpus] = (await call('cpuInfo')).messages;
    assert.equal(cpus.cpuInfo.length, os.cpus().length);
    assert.equal(cpus.cpuInfo[0].modelName, os.cpus()[0].model);
    const [disks] = (await call('diskStats')).messages;
    assert.ok(disks.total && Array.isArray(disks.devices));
    const [net] = (await call('networkDeviceStats')).messages;
    assert.ok(net.devices.some((d) => d.name === 'lo'), JSON.stringify(net.devices.map((d) => d.name)));
    assert.ok(net.total.rxBytes >= net.devices.find((d) => d.name === 'lo').rxBytes);
  });

  it('Mounts include /', async () => {
    const [{stats}] = (await call('mounts')).messages;
    assert.ok(stats.some((s) => s.mountedOn === '/' && s.size > 0n));
  });

  it('Processes of an in-process agent: this test process (the agents run in it)', async () => {
    const [{processes}] = (await call('processes')).messages;
    assert.ok(processes.some((p) => p.pid === process.pid && p.executable === process.execPath));
  });

  it('Dmesg reads the kernel log, or says why it cannot', async () => {
    let readable = true;
    try {
      fs.closeSync(fs.openSync('/dev/kmsg', fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
    } catch {
      readable = false;
    }
    const stream = client.dmesg({follow: false, tail: false}, (await import('./helpers/agents.js')).metadataOf({node: '127.55.1.3'}));
    const items = [];
    const ended = new Promise((resolve) => {
      stream.on('data', (d) => items.push(d));
      stream.on('error', (e) => resolve(e));
      stream.on('end', () => resolve(undefined));
    });
    const error = await ended;
    if (readable) {
      assert.equal(error, undefined);
      assert.ok(items.length > 0);
      for (const item of items) assert.match(Buffer.from(item.bytes).toString(), /^[a-z0-9()A-Z]+: {0,6}[a-z]+: \[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\]: /);
    } else {
      assert.match(error.details, /^error opening \/dev\/kmsg reader: open \/dev\/kmsg: /);
    }
  });
});

describe('reading /dev/kmsg', () => {
  it('Dmesg sends one record at a time, as the client takes them, and stops as soon as the call ends', async () => {
    const methods = new Map(readoutMethods({scope: 'node', pid: process.pid}));
    const dmesg = methods.get('/machine.MachineService/Dmesg');
    const controller = new AbortController();
    let sends = 0;
    let release;
    // A client that never reads: the first send does not resolve until the call is cancelled.
    const stream = {
      send: () => {
        sends++;
        return new Promise((resolve) => (release = resolve));
      },
      sendLazily() {},
      describeOverrun() {},
    };
    const request = Buffer.from(DmesgRequest.encode({follow: true, tail: false}).finish());
    const done = dmesg.handle(request, {signal: controller.signal}, stream).then(() => undefined, (error) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const error = await Promise.race([done, Promise.resolve('running')]);
    if (error !== 'running') {
      // Without read access the call fails before sending anything, saying why.
      assert.match(error.details, /^error opening \/dev\/kmsg reader: open \/dev\/kmsg: /);
      assert.equal(sends, 0);
      return;
    }
    assert.equal(sends, 1, 'nothing more is read while the client has no room');
    const cancelledAt = Date.now();
    controller.abort();
    release();
    assert.equal(await done, undefined);
    assert.ok(Date.now() - cancelledAt < 500, 'ended promptly');
    assert.equal(sends, 1);
  });


  it('a follower stops promptly when cancelled and leaves nothing open', async () => {
    let handle;
    try {
      handle = await openKmsg();
    } catch (error) {
      assert.match(error.message, /^open \/dev\/kmsg: /);
      return;
    }
    const controller = new AbortController();
    const seen = [];
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    for await (const packet of readKmsg(handle, {follow: true, tail: true, signal: controller.signal})) seen.push(packet);
    await handle.close();
    assert.ok(Date.now() - started < 1000, 'ended soon after the abort');
    assert.ok(seen.every((p) => p.raw !== undefined));
  });
});


describe('hostile names', () => {
  it('a mount point with a newline or an escape sequence stays on its row', () => {
    const row = mountRow({node: 'n', filesystem: 'evil\x1b[2J', size: 1000n, available: 500n, mountedOn: '/mnt/a\nb'});
    assert.deepEqual(row.slice(-1), ['/mnt/a\\nb']);
    assert.equal(row[1], 'evil\\x1b[2J');
  });
});
