// etcd benchmarks (issue 8), against the real etcd of osd clusters created here, loaded with
// ≥ 200 MB of keys:
// - our bbolt reader (`snapshotStatus` in a bare node process, and `osctl etcd snapshot inspect`,
//   which also checks the sha256 trailer) vs `etcdctl snapshot status` on the same file: wall time
//   per process, interleaved rounds, medians; the numbers must agree; the reader's peak RSS.
// - on a cluster of 3 control planes (`cluster create`, real etcd on each osd; BENCH_ETCD_CIDR,
//   default 127.20.204.0/24): the time from `cluster create` to healthy etcd on all three;
//   `osctl etcd snapshot` directly from a member's osd and through another control plane (a
//   forwarding hop) vs `etcdctl snapshot save` from the same member, at ≈ 50 MB and ≈ 200 MB, with
//   osctl's peak RSS; then `bootstrap --recover-from` of the 200 MB snapshot on a 1-control-plane
//   cluster created with --skip-bootstrap (BENCH_ETCD_RECOVER_CIDR, default 127.20.205.0/24).
import {execFileSync, spawnSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import * as grpc from '@grpc/grpc-js';
import {KVService} from '../dist/machinery/api/etcdserverpb/rpc.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const CIDR = process.env.BENCH_ETCD_CIDR ?? '127.20.204.0/24';
const RECOVER_CIDR = process.env.BENCH_ETCD_RECOVER_CIDR ?? '127.20.205.0/24';
const KEYS = 50_000;
/** Snapshots are measured after this many keys (≈ 50 MB), then again after KEYS (≈ 200 MB). */
const SMALL_KEYS = 12_500;
/** Interleaved rounds of the three snapshot commands at each size. */
const SNAPSHOT_ROUNDS = Number(process.env.BENCH_ETCD_SNAPSHOT_ROUNDS ?? 3);
const VALUE_BYTES = 4000;
const ROUNDS = Number(process.env.BENCH_ETCD_ROUNDS ?? 7);
const MB = 1_000_000;
const FLOOR_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'etcd-snapshot-floor.js');

/** CPU time (user + system) a running process has used so far, in ms (Linux /proc; 0 elsewhere). */
function processCpuMs(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in 1/100 s
  } catch {
    return 0;
  }
}

/** `keys` puts of VALUE_BYTES each over gRPC, 32 at a time (etcdctl would start a process per batch). */
async function loadEtcd(target, credentials, from, to) {
  const client = new grpc.Client(target, credentials);
  const put = (key, value) => new Promise((resolve, reject) => {
    client.makeUnaryRequest(KVService.put.path, KVService.put.requestSerialize, KVService.put.responseDeserialize,
      {key: Buffer.from(key), value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false},
      {deadline: Date.now() + 30_000}, (err) => (err ? reject(err) : resolve()));
  });
  const value = Buffer.alloc(VALUE_BYTES, 'v');
  let next = from;
  const worker = async () => {
    while (next < to) {
      const i = next++;
      await put(`/bench/k${String(i).padStart(6, '0')}`, value);
    }
  };
  try {
    await Promise.all(Array.from({length: 32}, worker));
  } finally {
    client.close();
  }
}

/** GNU time reports the child's CPU time (user + system), which machine load distorts less than wall time. */
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

function timed(command, args, env = process.env) {
  const started = process.hrtime.bigint();
  const [cmd, argv] = GNU_TIME ? [GNU_TIME, ['-f', 'cpu %U %S %M', command, ...args]] : [command, args];
  const result = spawnSync(cmd, argv, {env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20});
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const cpu = /cpu ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(result.stderr.toString());
  return {ms, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, maxRssKb: cpu ? Number(cpu[3]) : NaN, stdout: result.stdout.toString()};
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The first `{address, etcd: {endpoint, ca, cert, key}}` per node of `cluster show -o json`. */
function clusterNodes(run, name) {
  return JSON.parse(run('cluster', 'show', '--name', name, '-o', 'json')).nodes;
}

const etcdctlArgs = (etcd) => ['--endpoints', etcd.endpoint, '--cacert', etcd.ca, '--cert', etcd.cert, '--key', etcd.key];

/** Polls `etcdctl endpoint health` on every endpoint until all answer healthy; resolves when they do. */
async function waitHealthy(nodes, timeoutMs) {
  const started = Date.now();
  for (;;) {
    const healthy = nodes.every((node) => spawnSync('etcdctl', [...etcdctlArgs(node.etcd), '--command-timeout=2s', 'endpoint', 'health'],
      {env: {PATH: process.env.PATH, ETCDCTL_API: '3'}, stdio: 'ignore'}).status === 0);
    if (healthy) return;
    if (Date.now() - started > timeoutMs) throw new Error('etcd did not become healthy on every control plane');
    await delay(100);
  }
}

/**
 * `osctl etcd snapshot` directly and through a hop vs `etcdctl snapshot save`, all from the member
 * of `target`, in SNAPSHOT_ROUNDS interleaved rounds; medians of wall time, peak RSS of each.
 */
function snapshotRounds({osctl, env, dir, hop, target, label, record}) {
  const etcdEnv = {PATH: process.env.PATH, ETCDCTL_API: '3'};
  const command = (argv) => [argv[0], argv.slice(1)];
  const cases = {
    etcdctl: [...command(['etcdctl', ...etcdctlArgs(target.etcd), 'snapshot', 'save', path.join(dir, 'etcdctl.snapshot')]), etcdEnv],
    floor: [process.execPath, [FLOOR_SCRIPT, target.address, target.address, path.join(dir, 'floor.snapshot')], env],
    direct: [...command(osctl('--timeout', '5m', '-e', target.address, '-n', target.address, 'etcd', 'snapshot', path.join(dir, 'direct.snapshot'))), env],
    hop: [...command(osctl('--timeout', '5m', '-e', hop.address, '-n', target.address, 'etcd', 'snapshot', path.join(dir, 'hop.snapshot'))), env],
  };
  const samples = {etcdctl: [], floor: [], direct: [], hop: []};
  const cpu = {etcdctl: [], floor: [], direct: [], hop: []};
  const osdCpu = {etcdctl: [], floor: [], direct: [], hop: []};
  const rss = {etcdctl: 0, floor: 0, direct: 0, hop: 0};
  for (let round = 0; round < SNAPSHOT_ROUNDS + 1; round++) {
    for (const name of Object.keys(cases).sort(() => Math.random() - 0.5)) {
      const osdBefore = processCpuMs(target.pid) + processCpuMs(hop.pid);
      const {ms, cpuMs, maxRssKb} = timed(...cases[name]);
      if (round === 0) continue; // warms etcd's and the page cache
      samples[name].push(ms);
      cpu[name].push(cpuMs);
      osdCpu[name].push(processCpuMs(target.pid) + processCpuMs(hop.pid) - osdBefore);
      rss[name] = Math.max(rss[name], maxRssKb);
    }
  }
  const size = fs.statSync(path.join(dir, 'etcdctl.snapshot')).size;
  for (const name of ['direct', 'hop']) {
    if (fs.statSync(path.join(dir, `${name}.snapshot`)).size !== size) throw new Error(`${name}: the snapshot differs in size from etcdctl's`);
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const c = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v).toFixed(0)]));
  const o = Object.fromEntries(Object.entries(osdCpu).map(([k, v]) => [k, median(v).toFixed(0)]));
  const mbps = (ms) => (size / MB / (ms / 1000)).toFixed(1);
  // Throughput ratio ≥ 0.9 is time ratio ≤ 1/0.9.
  record(`\`osctl etcd snapshot\` ${label} (${(size / MB).toFixed(0)} MB), straight to the member's osd`, m.direct, m.etcdctl, '`etcdctl snapshot save`, same member', 1 / 0.9);
  record(`\`osctl etcd snapshot\` ${label} (${(size / MB).toFixed(0)} MB), through another control plane`, m.hop, m.etcdctl, '`etcdctl snapshot save`, same member', 1 / 0.9);
  return {
    size,
    rss,
    line: `- ${(size / MB).toFixed(1)} MB snapshot, medians of ${SNAPSHOT_ROUNDS} interleaved rounds: etcdctl ${m.etcdctl.toFixed(0)} ms ` +
      `(${mbps(m.etcdctl)} MB/s); osctl direct ${m.direct.toFixed(0)} ms (${mbps(m.direct)} MB/s, throughput ratio ${(m.etcdctl / m.direct).toFixed(2)}); ` +
      `osctl through a hop ${m.hop.toFixed(0)} ms (${mbps(m.hop)} MB/s, ratio ${(m.etcdctl / m.hop).toFixed(2)}). ` +
      `Floor (a bare grpc-js client through the member's osd, identity deserializer, each message written as it comes): ${m.floor.toFixed(0)} ms ` +
      `(${mbps(m.floor)} MB/s, ratio ${(m.etcdctl / m.floor).toFixed(2)}). ` +
      `CPU (user + system, medians): etcdctl ${c.etcdctl} ms, floor ${c.floor} ms, osctl direct ${c.direct} ms, through a hop ${c.hop} ms; ` +
      `osd (both control planes involved) during etcdctl ${o.etcdctl} ms, floor ${o.floor} ms, osctl direct ${o.direct} ms, through a hop ${o.hop} ms. ` +
      `Peak RSS: osctl direct ${(rss.direct / 1024).toFixed(0)} MiB, through a hop ${(rss.hop / 1024).toFixed(0)} MiB, floor ${(rss.floor / 1024).toFixed(0)} MiB, etcdctl ${(rss.etcdctl / 1024).toFixed(0)} MiB. ` +
      'osctl also reads the saved file back for its `snapshot info` line (the bbolt reader), which etcdctl 3.4 does not.',
  };
}

/** Runs the benchmark; `record` adds a ratio row to RESULTS.md; returns Markdown lines. */
export async function benchEtcdSnapshot({osctl, env, record}) {
  const dir = fs.mkdtempSync(path.join(env.HOME, 'etcd-'));
  const run = (...args) => execFileSync(osctl(...args)[0], osctl(...args).slice(1), {env, stdio: ['ignore', 'pipe', 'inherit']}).toString();
  const lines = [];
  // Each figure is printed as it is measured too: a later failure keeps what was measured.
  const note = lines.push.bind(lines);
  lines.push = (...items) => {
    for (const item of items) process.stderr.write(`${item}\n`);
    return note(...items);
  };
  const up = [];
  try {
    const createStarted = Date.now();
    run('cluster', 'create', '--name', 'bench-etcd', '--cidr', CIDR, '--controlplanes', '3', '--workers', '0', '--wait-timeout', '2m');
    up.push('bench-etcd');
    const created = Date.now() - createStarted;
    const nodes = clusterNodes(run, 'bench-etcd').filter((node) => node.etcd !== undefined);
    await waitHealthy(nodes, 120_000);
    const healthy = Date.now() - createStarted;
    lines.push(`- \`cluster create\` of 3 control planes (no workers) to healthy etcd on all three (\`etcdctl endpoint health\` on each): ` +
      `${(healthy / 1000).toFixed(1)} s (\`cluster create\` itself returned after ${(created / 1000).toFixed(1)} s).`);

    const [hop, target] = nodes;
    const tls = grpc.credentials.createSsl(fs.readFileSync(target.etcd.ca), fs.readFileSync(target.etcd.key), fs.readFileSync(target.etcd.cert));
    const loadStarted = Date.now();
    await loadEtcd(target.etcd.endpoint.replace(/^https:\/\//, ''), tls, 0, SMALL_KEYS);
    const small = snapshotRounds({osctl, env, dir, hop, target, label: '≈ 50 MB', record});
    await loadEtcd(target.etcd.endpoint.replace(/^https:\/\//, ''), tls, SMALL_KEYS, KEYS);
    lines.push(`- ${KEYS} keys of ${VALUE_BYTES} bytes loaded into the 3-member cluster over gRPC (32 puts in flight) in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s, snapshots at both sizes included.`);
    const large = snapshotRounds({osctl, env, dir, hop, target, label: '≈ 200 MB', record});
    if (large.size < 200 * MB) throw new Error(`the snapshot is ${large.size} bytes, less than 200 MB`);
    lines.push(small.line, large.line);
    lines.push(`- osctl's peak RSS at ${(small.size / MB).toFixed(0)} MB vs ${(large.size / MB).toFixed(0)} MB: direct ${(small.rss.direct / 1024).toFixed(0)} → ` +
      `${(large.rss.direct / 1024).toFixed(0)} MiB, through a hop ${(small.rss.hop / 1024).toFixed(0)} → ${(large.rss.hop / 1024).toFixed(0)} MiB ` +
      '(the stream is written as it comes; nothing holds the snapshot).');
    const file = path.join(dir, 'bench.snapshot');
    fs.renameSync(path.join(dir, 'etcdctl.snapshot'), file);
    run('cluster', 'destroy', '--name', 'bench-etcd');
    up.pop();

    run('cluster', 'create', '--name', 'bench-recover', '--cidr', RECOVER_CIDR, '--controlplanes', '1', '--workers', '0', '--skip-bootstrap', '--wait-timeout', '2m');
    up.push('bench-recover');
    const [recoverNode] = clusterNodes(run, 'bench-recover').filter((node) => node.etcd !== undefined);
    const recover = timed(...((argv) => [argv[0], argv.slice(1)])(osctl('--timeout', '5m', '-e', recoverNode.address, '-n', recoverNode.address, 'bootstrap', `--recover-from=${file}`)), env);
    const recoverStarted = Date.now() - recover.ms;
    await waitHealthy([recoverNode], 120_000);
    const healthyAfterMs = Date.now() - recoverStarted;
    // etcdctl 3.4 has no --count-only: the response's count is the range's total whatever the limit.
    const count = spawnSync('etcdctl', [...etcdctlArgs(recoverNode.etcd), 'get', '/bench/', '--prefix', '--limit', '1', '-w', 'json'],
      {env: {PATH: process.env.PATH, ETCDCTL_API: '3'}}).stdout.toString();
    const recoveredKeys = JSON.parse(count || '{}').count;
    if (recoveredKeys !== KEYS) throw new Error(`recovered ${recoveredKeys} keys, not ${KEYS}`);
    lines.push(`- \`osctl bootstrap --recover-from\` of the ${(large.size / MB).toFixed(0)} MB snapshot on a 1-control-plane cluster created with ` +
      `--skip-bootstrap: the command took ${(recover.ms / 1000).toFixed(1)} s (${(large.size / MB / (recover.ms / 1000)).toFixed(1)} MB/s uploaded, ` +
      `osctl peak RSS ${(recover.maxRssKb / 1024).toFixed(0)} MiB); etcd healthy ${(healthyAfterMs / 1000).toFixed(1)} s after it started; ` +
      `all ${KEYS} keys read back with etcdctl.`);
    run('cluster', 'destroy', '--name', 'bench-recover');
    up.pop();

    lines.push(...readerVsEtcdctl({osctl, env, file, size: large.size, record}));
  } finally {
    for (const name of up) {
      try {
        run('cluster', 'destroy', '--name', name);
      } catch (error) {
        console.error(`cluster destroy ${name} failed: ${error.message}`);
      }
    }
    fs.rmSync(dir, {recursive: true, force: true});
  }
  return lines;
}

/** Our bbolt reader (bare, and as `osctl etcd snapshot inspect`) vs `etcdctl snapshot status` on `file`. */
function readerVsEtcdctl({osctl, env, file, size, record}) {
  const lines = [];
  const readerScript = `import(${JSON.stringify(path.join(root, 'dist', 'machinery', 'etcd-snapshot', 'index.js'))})` +
    `.then(async (m) => { const s = await m.snapshotStatus(process.argv[1]); ` +
    `console.log(JSON.stringify({hash: s.hash, revision: Number(s.revision), totalPairs: s.totalPairs, totalSize: s.totalSize, maxRssKb: process.resourceUsage().maxRSS})); })`;
  const cases = {
    etcdctl: ['etcdctl', ['snapshot', 'status', file, '-w', 'json']],
    reader: [process.execPath, ['-e', readerScript, file]],
    inspect: osctl('etcd', 'snapshot', 'inspect', file, '-o', 'json').reduce((acc, word, i) => (i === 0 ? [word, []] : [acc[0], [...acc[1], word]]), []).concat([env]),
  };
  const samples = {etcdctl: [], reader: [], inspect: []};
  const cpuSamples = {etcdctl: [], reader: [], inspect: []};
  const outputs = {};
  for (let round = 0; round < ROUNDS + 1; round++) {
    for (const name of Object.keys(cases).sort(() => Math.random() - 0.5)) {
      const {ms, cpuMs, stdout} = timed(...cases[name]);
      if (round > 0) {
        // round 0 warms the page cache
        samples[name].push(ms);
        cpuSamples[name].push(cpuMs);
      }
      outputs[name] = JSON.parse(stdout);
    }
  }
  const {etcdctl, reader, inspect} = outputs;
  const agree = etcdctl.hash === reader.hash && etcdctl.revision === reader.revision && etcdctl.totalKey === reader.totalPairs &&
    etcdctl.totalSize === reader.totalSize && inspect.hash === etcdctl.hash && inspect.trailer.valid;
  if (!agree) throw new Error(`the reader disagrees with etcdctl: ${JSON.stringify(outputs)}`);
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  record(`snapshot status of a ${(size / MB).toFixed(0)} MB snapshot: our reader (bare node process)`, m.reader, m.etcdctl, '`etcdctl snapshot status`', 2);
  record(`\`osctl etcd snapshot inspect -o json\` (${(size / MB).toFixed(0)} MB; reader + sha256 trailer)`, m.inspect, m.etcdctl, '`etcdctl snapshot status`', 2);
  const cpu = Object.fromEntries(Object.entries(cpuSamples).map(([k, v]) => [k, median(v)]));
  if (GNU_TIME) {
    lines.push(`- CPU time (user + system, medians): etcdctl ${cpu.etcdctl.toFixed(0)} ms, reader ${cpu.reader.toFixed(0)} ms ` +
      `(${(cpu.reader / cpu.etcdctl).toFixed(2)}×), inspect ${cpu.inspect.toFixed(0)} ms (${(cpu.inspect / cpu.etcdctl).toFixed(2)}×). ` +
      'etcdctl hashes with the CPU\'s crc32 instruction and reads through mmap; the reader hashes in JavaScript (slicing-by-16 over 32-bit words) ' +
      'and copies pages in with read(2).');
  }
  lines.push(`- Medians of ${ROUNDS} interleaved rounds (page cache warm): etcdctl ${m.etcdctl.toFixed(0)} ms, reader ${m.reader.toFixed(0)} ms ` +
    `(${(size / MB / (m.reader / 1000)).toFixed(0)} MB/s incl. node start), inspect ${m.inspect.toFixed(0)} ms. Hash, revision, size and ` +
    `pair count equal etcdctl's; total keys (distinct live keys) ${inspect.totalKey}.`);
  lines.push(`- The reader's peak RSS on the ${(size / MB).toFixed(0)} MB file: ${(reader.maxRssKb / 1024).toFixed(0)} MiB ` +
    '(pages read on demand through 32 windows of 256 KiB; the rest is node and garbage between collections).');
  return lines;
}
