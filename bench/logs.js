// Log and static-pod benchmarks (issue 6), on one local cluster of 1 control plane + 1 worker:
// - `logs -k --tail 10` on a 1 GiB container log vs on a 1 MiB one (interleaved rounds);
// - `logs -k -f` through a forwarding hop (endpoint = control plane, node = worker) vs `tail -f`
//   of the same file, in lines per second, and the peak RSS of osctl and of both agents while a
//   slow reader drains osctl's output;
// - an idle worker running 10 static pods: osd's RSS and CPU per second.
// Returns a Markdown section for bench/RESULTS.md.
import {execFileSync, spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const CIDR = '127.20.201.0/24';
const CONTROL_PLANE = '127.20.201.2';
const WORKER = '127.20.201.3';
const FOLLOW_LINES = 200_000;
const POD_COUNT = 10;

function pod(name, command) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name, namespace: 'default'},
    spec: {containers: [{name: 'main', image: 'docker.io/library/busybox:1.36', command: ['sh', '-c', command]}]},
  };
}

function pods() {
  const list = [
    pod('big', 'echo ready; exec sleep 86400'),
    pod('small', 'echo ready; exec sleep 86400'),
    // Waits for the benchmark's go (a file), so that `logs -f` and `tail -f` both see the writing.
    pod('writer', `while [ ! -e "$GO" ]; do sleep 0.1; done; seq 1 ${FOLLOW_LINES}; exec sleep 86400`),
  ];
  for (let i = list.length; i < POD_COUNT; i++) list.push(pod(`idle-${i}`, 'exec sleep 86400'));
  return list;
}

export async function benchLogs({osctl, env, interleaved, record}) {
  const run = (...args) => execFileSync(osctl(...args)[0], osctl(...args).slice(1), {env, stdio: ['ignore', 'pipe', 'pipe']}).toString();
  const home = env.HOME;
  const goFile = path.join(home, 'bench-go');
  const specs = pods();
  specs[2].spec.containers[0].env = [{name: 'GO', value: goFile}];
  const patchFile = path.join(home, 'bench-pods.yaml');
  fs.writeFileSync(patchFile, JSON.stringify({machine: {pods: specs}}));
  run('cluster', 'create', '--name', 'bench-logs', '--cidr', CIDR, '--controlplanes', '1', '--workers', '1', '--config-patch-worker', `@${patchFile}`);
  const lines = [];
  try {
    const description = JSON.parse(run('cluster', 'show', '--name', 'bench-logs', '-o', 'json'));
    const worker = description.nodes.find((node) => node.address === WORKER);
    const controlPlane = description.nodes.find((node) => node.address === CONTROL_PLANE);
    const containers = await waitFor(() => {
      const listed = run('-e', CONTROL_PLANE, '-n', WORKER, 'containers', '-k', '-o', 'ndjson')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
      const running = listed.filter((c) => c.status === 'CONTAINER_RUNNING');
      return running.length >= POD_COUNT ? running : undefined;
    }, 30_000, 'all benchmark pods running');
    const idOf = (name) => containers.find((c) => c.podId === `default/${name}-${worker.name}`).id;
    const logFile = (name) => {
      const dir = path.join(worker.stateDir, 'var/log/pods');
      const podDir = fs.readdirSync(dir).find((entry) => entry.startsWith(`default_${name}-${worker.name}_`));
      return path.join(dir, podDir, 'main', '0.log');
    };

    // 1. Tail cost against log size.
    grow(logFile('big'), 2 ** 30);
    grow(logFile('small'), 2 ** 20);
    const tails = interleaved({
      small: osctl('-e', CONTROL_PLANE, '-n', WORKER, 'logs', '-k', idOf('small'), '--tail', '10'),
      big: osctl('-e', CONTROL_PLANE, '-n', WORKER, 'logs', '-k', idOf('big'), '--tail', '10'),
    });
    record('`osctl logs -k --tail 10`, 1 GiB log', tails.big, tails.small, 'the same on a 1 MiB log', 1.5);

    // 2. Follow throughput through the forwarding hop vs `tail -f`, on a complete 200 000-line log
    //    (so the readers, not the writer, set the pace): 3 alternating rounds, medians.
    const writerLog = logFile('writer');
    fs.writeFileSync(goFile, '');
    await waitFor(() => (countLines(writerLog) >= FOLLOW_LINES ? true : undefined), 60_000, 'the writer pod to finish');
    const followArgs = osctl('-e', CONTROL_PLANE, '-n', WORKER, 'logs', '-k', idOf('writer'), '-f');
    const rounds = {follow: [], tail: []};
    for (let round = 0; round < 3; round++) {
      rounds.follow.push(await startCounting(followArgs, env, FOLLOW_LINES).done);
      rounds.tail.push(await startCounting(['tail', '-n', '+1', '-f', writerLog], env, FOLLOW_LINES).done);
    }
    const rate = (samples) => (FOLLOW_LINES / [...samples].sort((x, y) => x - y)[1]) * 1000;
    const followRate = rate(rounds.follow);
    const tailRate = rate(rounds.tail);
    lines.push(
      `- \`logs -k -f\` of a complete ${FOLLOW_LINES}-line CRI log through a forwarding hop (endpoint control plane → worker): ${Math.round(followRate)} lines/s; \`tail -n +1 -f\` of the same file: ${Math.round(tailRate)} lines/s (${(followRate / tailRate).toFixed(2)}× tail's rate; medians of 3 alternating rounds, timed from each reader's first byte to its last line).`,
    );

    // Memory with a slow reader: the whole log again, read at 64 KiB/s for 10 s.
    const agents = [controlPlane.pid, worker.pid];
    const before = [rssOf(controlPlane.pid), rssOf(worker.pid)];
    const slow = startCounting(followArgs, env, Number.POSITIVE_INFINITY, 65536);
    const peak = samplePeakRss([slow.pid, ...agents]);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const peaks = peak.stop();
    slow.stop();
    lines.push(
      `- Peak RSS during 10 s of a slow reader (64 KiB/s) on \`logs -k -f\` of that ${FOLLOW_LINES}-line log: osctl ${mib(peaks[0])} MiB; endpoint osd ${mib(peaks[1])} MiB (${mib(before[0])} before); worker osd ${mib(peaks[2])} MiB (${mib(before[1])} before).`,
    );

    // 3. An idle worker with 10 static pods.
    const idle = await idleCost(worker.pid, 10_000);
    lines.push(`- Idle worker with ${POD_COUNT} static pods (host processes): osd RSS ${mib(idle.rss)} MiB, CPU ${idle.cpuPercent.toFixed(2)} % of one core (${idle.seconds} s sample).`);
  } finally {
    try {
      run('cluster', 'destroy', '--name', 'bench-logs');
    } catch (error) {
      console.error(`cluster destroy failed: ${error.message}`);
    }
  }
  return lines;
}

/** Appends CRI lines to `file` until it holds at least `bytes` bytes (64 KiB steps). */
function grow(file, bytes) {
  const line = `${new Date().toISOString().replace('Z', '000000Z')} stdout F ${'x'.repeat(100)}\n`;
  const block = Buffer.from(line.repeat(Math.floor(65536 / line.length)));
  const fd = fs.openSync(file, 'a');
  try {
    for (let size = fs.fstatSync(fd).size; size < bytes; size += block.length) fs.writeSync(fd, block);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Runs `command` and counts its stdout lines until `count` arrived; resolves with the ms from the
 * first byte. With `bytesPerSecond`, reads no faster than that (a slow reader) and never resolves
 * on its own: the caller stops it.
 */
function startCounting([cmd, ...args], env, count, bytesPerSecond) {
  const child = spawn(cmd, args, {env, stdio: ['ignore', 'pipe', 'ignore']});
  let seen = 0;
  let first;
  const done = new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`${cmd} ${args.join(' ')}: ${seen} of ${count} lines after 120 s`));
    }, 120_000);
    child.on('exit', () => clearTimeout(deadline));
    child.stdout.on('data', (chunk) => {
      first ??= process.hrtime.bigint();
      for (const byte of chunk) if (byte === 10) seen++;
      if (bytesPerSecond !== undefined) {
        child.stdout.pause();
        setTimeout(() => child.stdout.resume(), (chunk.length / bytesPerSecond) * 1000);
      }
      if (seen >= count) {
        resolve(Number(process.hrtime.bigint() - first) / 1e6);
        child.kill('SIGTERM');
      }
    });
    child.on('exit', (code, signal) => {
      if (seen < count && signal !== 'SIGTERM') reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal} after ${seen} of ${count} lines`));
    });
  });
  return {pid: child.pid, done, stop: () => child.kill('SIGTERM')};
}

function countLines(file) {
  let count = 0;
  for (const byte of fs.readFileSync(file)) if (byte === 10) count++;
  return count;
}

function samplePeakRss(pids) {
  const peaks = pids.map(() => 0);
  const timer = setInterval(() => {
    pids.forEach((pid, i) => {
      peaks[i] = Math.max(peaks[i], rssOf(pid));
    });
  }, 50);
  return {stop: () => (clearInterval(timer), peaks)};
}

function rssOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

function cpuTicks(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function idleCost(pid, ms) {
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  const before = cpuTicks(pid);
  await new Promise((resolve) => setTimeout(resolve, ms));
  const used = (cpuTicks(pid) - before) / ticksPerSecond;
  return {rss: rssOf(pid), cpuPercent: (used / (ms / 1000)) * 100, seconds: ms / 1000};
}

async function waitFor(check, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const value = check();
      if (value !== undefined) return value;
    } catch (error) {
      if (Date.now() > end) throw error;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
