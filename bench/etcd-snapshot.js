// etcd snapshot benchmarks (issue 8), against a real etcd started here (plain http on
// BENCH_ETCD_ADDRESS, default 127.20.203.2) loaded with ≥ 200 MB of keys:
// - our bbolt reader (`snapshotStatus` in a bare node process, and `osctl etcd snapshot inspect`,
//   which also checks the sha256 trailer) vs `etcdctl snapshot status` on the same file: wall time
//   per process, interleaved rounds, medians; the numbers must agree; the reader's peak RSS.
// `osctl etcd snapshot` through an osd endpoint and the recover upload need the etcd service on
// osd (issue 8 parts B/C) and are measured with the cluster there.
import {spawn, spawnSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import * as grpc from '@grpc/grpc-js';
import {KVService} from '../dist/machinery/api/etcdserverpb/rpc.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const ADDRESS = process.env.BENCH_ETCD_ADDRESS ?? '127.20.203.2';
const ENDPOINT = `http://${ADDRESS}:2379`;
const KEYS = 50_000;
const VALUE_BYTES = 4000;
const ROUNDS = Number(process.env.BENCH_ETCD_ROUNDS ?? 7);
const MB = 1_000_000;

/** Starts etcd, waits until it answers; the caller stops it with `stop()`. */
async function startEtcd(dir) {
  const log = fs.openSync(path.join(dir, 'etcd.log'), 'w');
  const child = spawn('etcd', [
    '--name', 'bench', '--data-dir', path.join(dir, 'data'), '--logger', 'zap', '--quota-backend-bytes', String(4 * 2 ** 30),
    '--listen-client-urls', ENDPOINT, '--advertise-client-urls', ENDPOINT,
    '--listen-peer-urls', `http://${ADDRESS}:2380`, '--initial-advertise-peer-urls', `http://${ADDRESS}:2380`,
    '--initial-cluster', `bench=http://${ADDRESS}:2380`,
  ], {stdio: ['ignore', log, log]});
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  for (let waited = 0; ; waited += 100) {
    if (spawnSync('etcdctl', [`--endpoints=${ENDPOINT}`, 'endpoint', 'health']).status === 0) return {stop};
    if (waited > 20_000 || child.exitCode !== null) {
      await stop();
      throw new Error(`etcd did not start: ${fs.readFileSync(path.join(dir, 'etcd.log'), 'utf8').slice(-2000)}`);
    }
    await delay(100);
  }
}

/** KEYS puts of VALUE_BYTES each over gRPC, 32 at a time (etcdctl would start a process per batch). */
async function load() {
  const client = new grpc.Client(`${ADDRESS}:2379`, grpc.credentials.createInsecure());
  const put = (key, value) => new Promise((resolve, reject) => {
    client.makeUnaryRequest(KVService.put.path, KVService.put.requestSerialize, KVService.put.responseDeserialize,
      {key: Buffer.from(key), value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false},
      {deadline: Date.now() + 30_000}, (err) => (err ? reject(err) : resolve()));
  });
  const value = Buffer.alloc(VALUE_BYTES, 'v');
  let next = 0;
  const worker = async () => {
    while (next < KEYS) {
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

function timed(command, args) {
  const started = process.hrtime.bigint();
  const [cmd, argv] = GNU_TIME ? [GNU_TIME, ['-f', 'cpu %U %S', command, ...args]] : [command, args];
  const result = spawnSync(cmd, argv, {stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20});
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr.toString());
  return {ms, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, stdout: result.stdout.toString()};
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Runs the benchmark; `record` adds a ratio row to RESULTS.md; returns Markdown lines. */
export async function benchEtcdSnapshot({osctl, env, record}) {
  const dir = fs.mkdtempSync(path.join(env.HOME, 'etcd-'));
  const lines = [];
  const etcd = await startEtcd(dir);
  try {
    const loadStarted = Date.now();
    await load();
    const file = path.join(dir, 'bench.snapshot');
    const saved = timed('etcdctl', [`--endpoints=${ENDPOINT}`, 'snapshot', 'save', file]);
    const size = fs.statSync(file).size;
    if (size < 200 * MB) throw new Error(`the snapshot is ${size} bytes, less than 200 MB`);
    lines.push(`- Snapshot: ${KEYS} keys of ${VALUE_BYTES} bytes loaded in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s, ` +
      `\`etcdctl snapshot save\`: ${(size / MB).toFixed(1)} MB in ${saved.ms.toFixed(0)} ms.`);

    const readerScript = `import(${JSON.stringify(path.join(root, 'dist', 'machinery', 'etcd-snapshot', 'index.js'))})` +
      `.then(async (m) => { const s = await m.snapshotStatus(process.argv[1]); ` +
      `console.log(JSON.stringify({hash: s.hash, revision: Number(s.revision), totalPairs: s.totalPairs, totalSize: s.totalSize, maxRssKb: process.resourceUsage().maxRSS})); })`;
    const cases = {
      etcdctl: ['etcdctl', ['snapshot', 'status', file, '-w', 'json']],
      reader: [process.execPath, ['-e', readerScript, file]],
      inspect: osctl('etcd', 'snapshot', 'inspect', file, '-o', 'json').reduce((acc, word, i) => (i === 0 ? [word, []] : [acc[0], [...acc[1], word]]), []),
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
        'etcdctl hashes with the CPU\'s crc32 instruction and reads through mmap; the reader hashes in JavaScript (slicing-by-8) ' +
        'and copies pages in with read(2).');
    }
    lines.push(`- Medians of ${ROUNDS} interleaved rounds (page cache warm): etcdctl ${m.etcdctl.toFixed(0)} ms, reader ${m.reader.toFixed(0)} ms ` +
      `(${(size / MB / (m.reader / 1000)).toFixed(0)} MB/s incl. node start), inspect ${m.inspect.toFixed(0)} ms. Hash, revision, size and ` +
      `pair count equal etcdctl's; total keys (distinct live keys) ${inspect.totalKey}.`);
    lines.push(`- The reader's peak RSS on the ${(size / MB).toFixed(0)} MB file: ${(reader.maxRssKb / 1024).toFixed(0)} MiB ` +
      '(pages read on demand through eight 1 MiB windows; the rest is node and garbage between collections).');
  } finally {
    await etcd.stop();
    fs.rmSync(dir, {recursive: true, force: true});
  }
  return lines;
}
