// File benchmarks (issue 7), on one local cluster of 1 control plane + 1 worker, every call
// through the control plane's endpoint to the worker (a forwarding hop):
// - `osctl cp` of a 200 MB folder into a local folder vs `tar czf - <folder> | cat` locally, and the
//   same for a 50 MB folder: throughput, and peak RSS of osctl and both agents (flat in the size?);
// - `osctl read` of a 1 GiB file vs `cat` of it.
// Data is half random, half repeated text, so gzip has something to do. Returns Markdown lines.
import {execFileSync, spawn} from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const CIDR = process.env.BENCH_FILES_CIDR ?? '127.20.202.0/24';
const PREFIX = CIDR.split('.').slice(0, 3).join('.');
const CONTROL_PLANE = `${PREFIX}.2`;
const WORKER = `${PREFIX}.3`;
const MB = 1_000_000;
const ROUNDS = 3;

/** Fills `dir` with `bytes` of 1 MB files (half random, half text). */
function makeFolder(dir, bytes) {
  fs.mkdirSync(dir, {recursive: true});
  const text = Buffer.from('the quick brown fox jumps over the lazy node\n'.repeat(Math.ceil(MB / 2 / 45))).subarray(0, MB / 2);
  for (let i = 0; i * MB < bytes; i++) {
    const sub = path.join(dir, `d${i % 10}`);
    fs.mkdirSync(sub, {recursive: true});
    fs.writeFileSync(path.join(sub, `f${i}.bin`), Buffer.concat([crypto.randomBytes(MB / 2), text]));
  }
}

function makeBigFile(file, bytes) {
  const block = Buffer.concat([crypto.randomBytes(1 << 19), Buffer.alloc(1 << 19, 'x')]);
  const fd = fs.openSync(file, 'w');
  try {
    for (let written = 0; written < bytes; written += block.length) fs.writeSync(fd, block);
  } finally {
    fs.closeSync(fd);
  }
}

export async function benchFiles({osctl, env}) {
  const run = (...args) => execFileSync(osctl(...args)[0], osctl(...args).slice(1), {env, stdio: ['ignore', 'pipe', 'pipe']}).toString();
  const home = env.HOME;
  const lines = [];
  run('cluster', 'create', '--name', 'bench-files', '--cidr', CIDR, '--controlplanes', '1', '--workers', '1');
  const scratch = fs.mkdtempSync(path.join(home, 'files-'));
  try {
    const cluster = JSON.parse(fs.readFileSync(path.join(home, '.talos', 'clusters', 'bench-files', 'cluster.json'), 'utf8'));
    const controlPlane = cluster.nodes.find((n) => n.address === CONTROL_PLANE);
    const worker = cluster.nodes.find((n) => n.address === WORKER);
    const varDir = path.join(worker.stateDir, 'var');
    const sizes = [50, 200];
    for (const size of sizes) makeFolder(path.join(varDir, `data-${size}`), size * MB);

    for (const size of sizes) {
      const osctlTimes = [];
      const tarTimes = [];
      let peaks = [0, 0, 0];
      for (let round = 0; round < ROUNDS; round++) {
        const dest = path.join(scratch, `out-${size}-${round}`);
        const agents = [controlPlane.pid, worker.pid];
        const measured = await timed(osctl('-n', WORKER, 'cp', `/var/data-${size}`, dest), env, agents);
        osctlTimes.push(measured.ms);
        peaks = peaks.map((p, i) => Math.max(p, measured.peaks[i]));
        fs.rmSync(dest, {recursive: true, force: true});
        tarTimes.push((await timed(['sh', '-c', `tar czf - -C ${JSON.stringify(varDir)} data-${size} | cat > /dev/null`], env, [])).ms);
      }
      const ms = median(osctlTimes);
      const tarMs = median(tarTimes);
      lines.push(
        `- \`osctl cp\` of a ${size} MB folder (${size} files) through a forwarding hop into a local folder: ${(ms / 1000).toFixed(1)} s ` +
          `(${(size / (ms / 1000)).toFixed(1)} MB/s); \`tar czf - | cat\` locally: ${(tarMs / 1000).toFixed(1)} s (${(size / (tarMs / 1000)).toFixed(1)} MB/s); ` +
          `ratio ${(ms / tarMs).toFixed(2)}× (medians of ${ROUNDS}). Peak RSS: osctl ${mib(peaks[0])} MiB, endpoint osd ${mib(peaks[1])} MiB, worker osd ${mib(peaks[2])} MiB.`,
      );
    }

    const big = path.join(varDir, 'big.bin');
    makeBigFile(big, 1 << 30);
    const readTimes = [];
    const catTimes = [];
    let readPeaks = [0, 0, 0];
    for (let round = 0; round < ROUNDS; round++) {
      const measured = await timed(osctl('-n', WORKER, 'read', '/var/big.bin'), env, [controlPlane.pid, worker.pid], true);
      readTimes.push(measured.ms);
      readPeaks = readPeaks.map((p, i) => Math.max(p, measured.peaks[i]));
      catTimes.push((await timed(['cat', big], env, [], true)).ms);
    }
    const readMs = median(readTimes);
    const catMs = median(catTimes);
    lines.push(
      `- \`osctl read\` of a 1 GiB file through a forwarding hop: ${(readMs / 1000).toFixed(1)} s (${(1024 / (readMs / 1000)).toFixed(0)} MiB/s); ` +
        `\`cat\`: ${(catMs / 1000).toFixed(2)} s (${(1024 / (catMs / 1000)).toFixed(0)} MiB/s); ratio ${(readMs / catMs).toFixed(1)}× (medians of ${ROUNDS}). ` +
        `Peak RSS: osctl ${mib(readPeaks[0])} MiB, endpoint osd ${mib(readPeaks[1])} MiB, worker osd ${mib(readPeaks[2])} MiB.`,
    );
  } finally {
    fs.rmSync(scratch, {recursive: true, force: true});
    try {
      run('cluster', 'destroy', '--name', 'bench-files');
    } catch (error) {
      console.error(`cluster destroy failed: ${error.message}`);
    }
  }
  return lines;
}

/** Runs a command to completion (stdout to /dev/null or drained), sampling the peak RSS of it and of `others`. */
function timed([cmd, ...args], env, others, drain = false) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, {env, stdio: ['ignore', drain ? 'pipe' : 'ignore', 'pipe']});
    if (drain) child.stdout.resume();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const pids = [child.pid, ...others];
    const peaks = pids.map(() => 0);
    const sample = () => pids.forEach((pid, i) => (peaks[i] = Math.max(peaks[i], rssOf(pid))));
    const timer = setInterval(sample, 20);
    child.on('close', (code) => {
      clearInterval(timer);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ms, peaks: peaks.concat([0, 0]).slice(0, 3)});
    });
  });
}

function rssOf(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
