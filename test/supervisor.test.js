// The supervisor with real short-lived processes (sh -c): Talos's states and event texts, restart
// policies, health flips, stop escalation, dependency waits, API rules, shutdown order, and the
// bounded service logs.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {describe, it} from 'node:test';
import {ServiceLogs} from '../dist/agent/logs/service-logs.js';
import {InProcessRunner} from '../dist/agent/system/in-process-runner.js';
import {ProcessGroupRecords} from '../dist/machinery/process-groups.js';
import {ProcessRunner} from '../dist/agent/system/process-runner.js';
import {Supervisor} from '../dist/agent/system/supervisor.js';

const FAST = {restartIntervalMs: 100, waitDescriptionIntervalMs: 50, shutdownDependentsTimeoutMs: 3000};

function shService(id, script, {logs = new ServiceLogs(), log, restart = 'once', texts = 'process', gracefulStopMs, ...rest} = {}) {
  return {
    id,
    dependsOn: [],
    restart,
    api: {start: true, stop: true, restart: true},
    createRunner: () =>
      new ProcessRunner({id, args: ['/bin/sh', '-c', script], env: {PATH: process.env.PATH}, log: log ?? logs.writer(id), texts, gracefulStopMs}),
    ...rest,
  };
}

/** Polls until `predicate` holds (each test bounds its own waits). */
async function until(predicate, what, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const texts = (supervisor, id) => supervisor.get(id).events.map((event) => `${event.state}: ${event.message}`);

/** A live process (a zombie has ended: PID 1 here may reap orphans late). */
function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('supervisor', () => {
  it('runs a process to completion with Talos event texts; health unknown with zero time', async () => {
    const supervisor = new Supervisor(FAST);
    supervisor.register(shService('one', 'echo hi'));
    supervisor.startAll();
    await until(() => supervisor.get('one').state === 'Finished', 'Finished');
    const events = texts(supervisor, 'one');
    assert.equal(events[0], 'Starting: Starting service');
    assert.deepEqual(events.slice(1, 3), ['Preparing: Running pre state', 'Preparing: Creating service runner']);
    assert.match(events[3], /^Running: Process Process\(\["\/bin\/sh" "-c" "echo hi"\]\) started with PID \d+$/);
    assert.equal(events[4], 'Finished: Service finished successfully');
    assert.deepEqual(supervisor.get('one').health, {unknown: true, healthy: false, lastMessage: ''});
    assert.equal(supervisor.isRunning('one'), false);
  });

  it('fails with the exit code; task texts quote the last log line', async () => {
    const supervisor = new Supervisor(FAST);
    supervisor.register(shService('plain', 'exit 3'));
    supervisor.register(shService('ext-x', 'echo first; echo "the end" >&2; exit 4', {texts: 'task'}));
    supervisor.startAll();
    await until(() => ['plain', 'ext-x'].every((id) => supervisor.get(id).state === 'Failed'), 'Failed');
    assert.equal(texts(supervisor, 'plain').at(-1), 'Failed: Failed running service: error running service: exit code 3');
    const ext = texts(supervisor, 'ext-x');
    assert.match(ext[3], /^Running: Started task ext-x \(PID \d+\) for container ext-x$/);
    assert.equal(ext.at(-1), 'Failed: Failed running service: error running service: task "ext-x" failed: exit code 4 (last log "the end")');
  });

  it('restarts forever and until success with Talos texts, 5 s apart by default', async () => {
    const supervisor = new Supervisor(FAST);
    supervisor.register(shService('forever', 'exit 1', {restart: 'forever'}));
    supervisor.register(shService('ok', 'exit 0', {restart: 'forever'}));
    let runs = 0;
    supervisor.register({
      ...shService('until', ''),
      restart: 'untilSuccess',
      createRunner: () => {
        runs++;
        return new ProcessRunner({id: 'until', args: ['/bin/sh', '-c', `exit ${runs < 3 ? 2 : 0}`], env: {}, log: {write() {}}, texts: 'process'});
      },
    });
    supervisor.startAll();
    await until(() => supervisor.get('until').state === 'Finished', 'until to finish');
    const until3 = texts(supervisor, 'until').filter((text) => text.startsWith('Waiting'));
    assert.equal(until3.length, 2);
    assert.match(until3[0], /^Waiting: Error running Process\(\["\/bin\/sh" "-c" "exit 2"\]\), going to restart until it succeeds: exit code 2$/);
    await until(() => texts(supervisor, 'forever').filter((text) => text.startsWith('Waiting')).length >= 2, 'two restarts');
    assert.match(texts(supervisor, 'forever').find((text) => text.startsWith('Waiting')), /^Waiting: Error running Process\(.*\), going to restart forever: exit code 1$/);
    await until(() => texts(supervisor, 'ok').some((text) => text.startsWith('Waiting')), 'restart after success');
    assert.match(texts(supervisor, 'ok').find((text) => text.startsWith('Waiting')), /^Waiting: Runner Process\(.*\) exited without error, going to restart it$/);
    assert.equal(supervisor.isRunning('forever'), true, 'the back-off counts as running');
    await supervisor.shutdown();
    assert.equal(supervisor.isRunning('forever'), false);
  });

  it('aborts the restart sequence when stopped during the back-off', async () => {
    const supervisor = new Supervisor({...FAST, restartIntervalMs: 60_000});
    supervisor.register(shService('flaky', 'exit 1', {restart: 'forever'}));
    supervisor.startAll();
    await until(() => supervisor.get('flaky').state === 'Waiting' && texts(supervisor, 'flaky').length > 4, 'back-off');
    await supervisor.apiStop('flaky');
    assert.deepEqual(texts(supervisor, 'flaky').slice(-2), ['Stopping: Aborting restart sequence', 'Finished: Service finished successfully']);
  });

  it('stops with SIGTERM to the process group, SIGKILL after the grace period; no child remains', async () => {
    const supervisor = new Supervisor(FAST);
    let output = '';
    const log = {write: (data) => (output += data)};
    // The shell ignores TERM and leaves a grandchild in its group.
    supervisor.register(shService('stubborn', 'trap "" TERM; sleep 60 & echo child $!; while :; do sleep 0.05; done', {log, gracefulStopMs: 300}));
    supervisor.register(shService('polite', 'sleep 60 & wait'));
    supervisor.startAll();
    await until(() => supervisor.processes().length === 2, 'two processes');
    await until(() => output.includes('child'), 'grandchild pid');
    const grandchild = Number(/child (\d+)/.exec(output)[1]);
    const [polite, stubborn] = supervisor.processes();
    assert.equal(polite.id, 'polite');
    assert.equal(stubborn.status, 'RUNNING');
    assert.ok(alive(grandchild));

    const started = Date.now();
    await supervisor.apiStop('stubborn');
    assert.ok(Date.now() - started >= 300, 'waited for the grace period');
    const events = texts(supervisor, 'stubborn');
    assert.match(events.at(-3), /^Stopping: Sending SIGTERM to Process\(/);
    assert.match(events.at(-2), /^Stopping: Sending SIGKILL to Process\(/);
    assert.equal(events.at(-1), 'Finished: Service finished successfully');
    assert.ok(!alive(stubborn.pid));
    await until(() => !alive(grandchild), 'the grandchild to be gone', 2000);

    await supervisor.apiStop('polite');
    assert.deepEqual(texts(supervisor, 'polite').slice(-1), ['Finished: Service finished successfully']);
    assert.ok(!alive(polite.pid));
    assert.deepEqual(supervisor.processes(), []);
  });

  it('kills the process groups of its services when osd exits without stopping them', async () => {
    const script = `
      import {ProcessRunner} from ${JSON.stringify(new URL('../dist/agent/system/process-runner.js', import.meta.url).href)};
      const runner = new ProcessRunner({id: 'orphan', args: ['/bin/sh', '-c', 'sleep 60 & sleep 60'], env: {}, log: {write() {}}, texts: 'process'});
      void runner.run({running: () => { console.log(runner.pid()); setTimeout(() => process.exit(3), 200); }, stopping() {}, waiting() {}});
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {stdio: ['ignore', 'pipe', 'inherit']});
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 3);
    const leader = Number(output.trim());
    assert.ok(leader > 0, output);
    await until(() => !alive(leader), 'the orphaned service to be killed', 2000);
  });

  it('an osd started after a SIGKILLed one kills the process groups that one left, and only those', async () => {
    const records = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-groups-'));
    const runner = new URL('../dist/agent/system/process-runner.js', import.meta.url).href;
    const groups = new URL('../dist/machinery/process-groups.js', import.meta.url).href;
    // A stands for a service that runs on; B's leader ends after osd died and leaves a grandchild.
    const script = `
      import {ProcessRunner} from ${JSON.stringify(runner)};
      import {ProcessGroupRecords} from ${JSON.stringify(groups)};
      const records = new ProcessGroupRecords(${JSON.stringify(records)});
      await records.killLeftovers();
      let output = '';
      const log = {write: (data) => { output += data; if ((output.match(/grandchild/g) ?? []).length === 2) console.log(output.trim()); }};
      for (const [id, script] of [['ext-a', 'sleep 60 & echo grandchild $!; exec sleep 60'], ['ext-b', 'sleep 60 & echo grandchild $!; sleep 0.5']]) {
        const runner = new ProcessRunner({id, args: ['/bin/sh', '-c', script], env: {}, log, texts: 'task', groups: records});
        void runner.run({running: () => console.log(id, runner.pid()), stopping() {}, waiting() {}});
      }
      setInterval(() => {}, 1000);
    `;
    const osd = spawn(process.execPath, ['--input-type=module', '-e', script], {stdio: ['ignore', 'pipe', 'inherit']});
    let output = '';
    osd.stdout.on('data', (chunk) => (output += chunk));
    // A process of another owner whose PID a stale record names: its start time differs, so it stays.
    const stranger = spawn('sleep', ['60'], {detached: true, stdio: 'ignore'});
    const leaders = [];
    try {
      await until(() => (output.match(/grandchild/g) ?? []).length === 2 && /ext-a \d+/.test(output) && /ext-b \d+/.test(output), 'both services', 8000);
      const leaderA = Number(/ext-a (\d+)/.exec(output)[1]);
      const leaderB = Number(/ext-b (\d+)/.exec(output)[1]);
      const grandchildren = [...output.matchAll(/grandchild (\d+)/g)].map((match) => Number(match[1]));
      leaders.push(leaderA, leaderB);
      assert.equal(fs.readdirSync(records).length, 2);
      const killed = new Promise((resolve) => osd.once('exit', resolve));
      osd.kill('SIGKILL');
      await killed;
      // Nothing ran osd's exit hook: the groups live on, and B's leader ends by itself.
      await until(() => !alive(leaderB), "B's leader to end", 3000);
      for (const pid of [leaderA, ...grandchildren]) assert.ok(alive(pid), `pid ${pid} should have outlived the killed osd`);
      fs.writeFileSync(path.join(records, String(stranger.pid)), `${stranger.pid} 1 ext-stale\n`);
      fs.mkdirSync(path.join(records, '0-odd-entry'));
      fs.writeFileSync(path.join(records, '1-garbage'), 'not a record');

      const leftovers = await new ProcessGroupRecords(records).killLeftovers();
      assert.deepEqual(leftovers.map(({name}) => name).sort(), ['ext-a', 'ext-b']);
      for (const pid of [leaderA, ...grandchildren]) assert.ok(!alive(pid), `pid ${pid} still alive`);
      assert.ok(alive(stranger.pid), 'a reused PID is left alone');
      assert.deepEqual(fs.readdirSync(records), []);
    } finally {
      osd.kill('SIGKILL');
      stranger.kill('SIGKILL');
      for (const leader of leaders) {
        try {
          process.kill(-leader, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      fs.rmSync(records, {recursive: true, force: true});
    }
  });

  it('waits for dependencies with Talos texts, re-described as they come up', async () => {
    const supervisor = new Supervisor(FAST);
    let ready = false;
    const file = {describe: () => 'file "/x" to exist', wait: (signal) => waitFor(() => ready, signal)};
    supervisor.register({...shService('app', 'sleep 30'), dependsOn: ['db', 'later'], conditions: [file]});
    supervisor.register(shService('db', 'sleep 30'));
    supervisor.start('app');
    await until(() => texts(supervisor, 'app').length >= 2, 'waiting');
    assert.equal(texts(supervisor, 'app')[1], 'Waiting: Waiting for service "db" to be "up", service "later" to be registered, file "/x" to exist');
    supervisor.start('db');
    supervisor.register(shService('later', 'exit 0'));
    supervisor.start('later');
    await until(() => texts(supervisor, 'app').includes('Waiting: Waiting for file "/x" to exist'), 're-description');
    assert.equal(supervisor.get('app').state, 'Waiting');
    ready = true;
    await until(() => supervisor.get('app').state === 'Running', 'app running');
    await supervisor.shutdown();
    // Shutdown stops dependents first: app ended before db was signalled.
    const appEnd = supervisor.get('app').events.at(-1).timestamp;
    const dbStop = supervisor.get('db').events.find((event) => event.state === 'Stopping').timestamp;
    assert.ok(appEnd <= dbStop);
  });

  it('a stop while waiting fails the run with Condition failed: context canceled', async () => {
    const supervisor = new Supervisor(FAST);
    supervisor.register({...shService('lonely', 'true'), dependsOn: ['nobody']});
    supervisor.startAll();
    await until(() => supervisor.get('lonely').state === 'Waiting', 'waiting');
    await supervisor.apiStop('lonely');
    assert.equal(texts(supervisor, 'lonely').at(-1), 'Failed: Condition failed: context canceled');
  });

  it('double stop, restart while stopping, and API calls during shutdown', async () => {
    const supervisor = new Supervisor(FAST);
    supervisor.register(shService('slow', 'trap "" TERM; while :; do sleep 0.05; done', {gracefulStopMs: 300, restart: 'forever'}));
    supervisor.startAll();
    await until(() => supervisor.processes().length === 1, 'the process');
    const [first] = supervisor.processes();
    // Two stops and a restart while the first stop waits out the grace period.
    await Promise.all([supervisor.apiStop('slow'), supervisor.apiStop('slow'), supervisor.apiRestart('slow')]);
    assert.ok(!alive(first.pid));
    const events = texts(supervisor, 'slow');
    assert.equal(events.filter((text) => text.startsWith('Stopping: Sending SIGTERM')).length, 1);
    assert.equal(events.filter((text) => text === 'Finished: Service finished successfully').length, 1);
    await until(() => supervisor.processes().length === 1, 'the restarted process');
    assert.notEqual(supervisor.processes()[0].pid, first.pid);

    const shutdown = supervisor.shutdown();
    // As Talos's, start and restart succeed quietly once shutting down, and start nothing.
    await supervisor.apiStart('slow');
    await supervisor.apiRestart('slow');
    await shutdown;
    assert.equal(supervisor.isRunning('slow'), false);
    assert.deepEqual(supervisor.processes(), []);
    assert.equal(texts(supervisor, 'slow').at(-1), 'Finished: Service finished successfully');
  });

  it('shutdown does not wait out the timeout for services that wait for each other', async () => {
    const supervisor = new Supervisor({...FAST, shutdownDependentsTimeoutMs: 20_000});
    supervisor.register(shService('a', 'sleep 60', {dependsOn: ['b']}));
    supervisor.register(shService('b', 'sleep 60', {dependsOn: ['a']}));
    supervisor.register(shService('base', 'sleep 60'));
    supervisor.register(shService('user', 'sleep 60', {dependsOn: ['base']}));
    supervisor.startAll();
    await until(() => supervisor.processes().length === 2, 'base and user running');
    const started = Date.now();
    await supervisor.shutdown();
    assert.ok(Date.now() - started < 3000, `shutdown took ${Date.now() - started} ms`);
    assert.equal(texts(supervisor, 'a').at(-1), 'Failed: Condition failed: context canceled');
    // A Running service still stops after its dependents.
    const finished = (id) => supervisor.get(id).events.at(-1).timestamp.getTime();
    assert.ok(finished('user') <= finished('base'));
  });

  it('a stop during a pre stage that never ends is not held up by it', async () => {
    const supervisor = new Supervisor(FAST);
    let preSignal;
    supervisor.register(shService('stuck', 'exit 0', {pre: (signal) => ((preSignal = signal), new Promise(() => {}))}));
    supervisor.startAll();
    await until(() => supervisor.get('stuck').state === 'Preparing', 'the pre stage');
    const stopped = supervisor.apiStop('stuck');
    const outcome = await Promise.race([stopped.then(() => 'stopped'), new Promise((resolve) => setTimeout(() => resolve('hung'), 2000))]);
    assert.equal(outcome, 'stopped');
    assert.equal(preSignal.aborted, true);
    assert.deepEqual(texts(supervisor, 'stuck').slice(-2), ['Preparing: Running pre state', 'Failed: Failed to run pre stage: context canceled']);
  });

  it('health: Unknown first, flips recorded as events only while Running, dependants wait for healthy', async () => {
    const supervisor = new Supervisor(FAST);
    let healthy = false;
    const changes = [];
    supervisor.onChange((change) => changes.push(change));
    supervisor.register({
      ...shService('web', 'sleep 30'),
      health: {
        settings: {initialDelayMs: 50, periodMs: 50, timeoutMs: 100},
        check: async () => {
          if (!healthy) throw new Error('connection refused');
        },
      },
    });
    supervisor.register({...shService('client', 'sleep 30'), dependsOn: ['web']});
    supervisor.startAll();
    await until(() => supervisor.get('web').state === 'Running', 'running');
    const initial = supervisor.get('web').health;
    assert.equal(initial.unknown, true);
    assert.ok(['Unknown', 'connection refused'].includes(initial.lastMessage));
    await until(() => supervisor.get('web').health.lastMessage === 'connection refused', 'failing check');
    const failedAt = supervisor.get('web').health.lastChange;
    assert.equal(supervisor.get('web').health.unknown, false);
    assert.ok(texts(supervisor, 'web').includes('Running: Health check failed: connection refused'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(supervisor.get('web').health.lastChange.getTime(), failedAt.getTime(), 'last_change moves only on flips');
    assert.equal(supervisor.get('client').state, 'Waiting');
    healthy = true;
    await until(() => supervisor.get('client').state === 'Running', 'client running once web is healthy');
    assert.ok(texts(supervisor, 'web').includes('Running: Health check successful'));
    assert.ok(changes.some((change) => change.id === 'web' && change.health.healthy && change.message === 'Health check successful'));
    await supervisor.apiStop('web');
    const stopped = supervisor.get('web').health;
    assert.deepEqual([stopped.healthy, stopped.lastMessage], [false, 'service not running']);
    assert.ok(!texts(supervisor, 'web').some((text) => text.startsWith('Stopping: Health')));
    await supervisor.shutdown();
  });

  it('API rules: unknown ids, no-ops before the permission check, permissions, restart', async () => {
    const supervisor = new Supervisor(FAST);
    supervisor.register({...shService('locked', 'sleep 30'), api: {start: false, stop: false, restart: false}});
    supervisor.register({...shService('kubelet', 'sleep 30'), api: {start: true, stop: false, restart: true}});
    supervisor.register(shService('ext-x', 'sleep 30'));
    await assert.rejects(supervisor.apiStart('nope'), {message: 'service "nope" not defined'});
    await assert.rejects(supervisor.apiStop('nope'), {message: 'service "nope" not defined'});
    await assert.rejects(supervisor.apiStart('locked'), {message: `service "locked" doesn't support start operation via API`});
    await supervisor.apiStop('locked'); // not running: succeeds before the check
    await assert.rejects(supervisor.apiRestart('locked'), {message: `service "locked" doesn't support start operation via API`});
    supervisor.start('locked');
    await supervisor.apiStart('locked'); // running: succeeds before the check
    await assert.rejects(supervisor.apiStop('locked'), {message: `service "locked" doesn't support stop operation via API`});
    await assert.rejects(supervisor.apiRestart('locked'), {message: `service "locked" doesn't support restart operation via API`});

    await supervisor.apiStart('kubelet');
    await until(() => supervisor.get('kubelet').state === 'Running', 'kubelet running');
    await assert.rejects(supervisor.apiStop('kubelet'), {message: `service "kubelet" doesn't support stop operation via API`});
    const before = supervisor.processes().find((p) => p.id === 'kubelet').pid;
    await supervisor.apiRestart('kubelet');
    assert.ok(['Starting', 'Preparing', 'Running'].includes(supervisor.get('kubelet').state));
    assert.ok(!alive(before));
    await until(() => supervisor.get('kubelet').state === 'Running', 'kubelet running again');

    await supervisor.apiStart('ext-x');
    await until(() => supervisor.get('ext-x').state === 'Running', 'ext running');
    await supervisor.apiStop('ext-x');
    assert.equal(supervisor.get('ext-x').state, 'Finished');
    assert.deepEqual(supervisor.list().map((service) => service.id), ['ext-x', 'kubelet', 'locked']);
    await supervisor.shutdown();
    assert.deepEqual(supervisor.processes(), []);
    await supervisor.apiStart('ext-x');
    assert.equal(supervisor.isRunning('ext-x'), false, 'nothing starts after shutdown');
  });

  it('keeps 64 events per service', async () => {
    const supervisor = new Supervisor({...FAST, restartIntervalMs: 1});
    let recorded = 0;
    supervisor.onChange(() => recorded++);
    supervisor.register(shService('loop', 'exit 0', {restart: 'forever'}));
    supervisor.startAll();
    await until(() => recorded > 100, 'many restarts', 20_000);
    assert.equal(supervisor.get('loop').events.length, 64);
    assert.equal(supervisor.get('loop').events[0].state === 'Starting', false, 'the oldest were dropped');
    await supervisor.shutdown();
  });

  it('in-process runner: goroutine texts, stop timeout text', async () => {
    const supervisor = new Supervisor(FAST);
    supervisor.register({
      id: 'machined',
      dependsOn: [],
      restart: 'forever',
      api: {start: false, stop: false, restart: false},
      createRunner: () => new InProcessRunner('machined', (signal) => waitFor(() => false, signal)),
    });
    supervisor.register({
      id: 'stuck',
      dependsOn: [],
      restart: 'once',
      api: {start: true, stop: true, restart: true},
      createRunner: () => new InProcessRunner('stuck', () => new Promise(() => {}), 100),
    });
    supervisor.startAll();
    await until(() => supervisor.get('machined').state === 'Running' && supervisor.get('stuck').state === 'Running', 'running');
    assert.equal(texts(supervisor, 'machined').at(-1), 'Running: Service started as goroutine');
    await supervisor.apiStop('stuck');
    assert.deepEqual(texts(supervisor, 'stuck').slice(-3), [
      'Stopping: Service stopping',
      "Stopping: Service hasn't stopped gracefully on timeout, aborting",
      'Finished: Service finished successfully',
    ]);
    await supervisor.shutdown();
    assert.deepEqual(texts(supervisor, 'machined').slice(-2), ['Stopping: Service stopping', 'Finished: Service finished successfully']);
  });
});

describe('service logs', () => {
  it('keeps about 1 MiB per id, tails lines from the end, chunks of at most 1024 bytes', async () => {
    const logs = new ServiceLogs(4096);
    const writer = logs.writer('svc');
    for (let i = 0; i < 1000; i++) writer.write(`line ${i}\n`);
    const chunks = await collect(logs.read('svc', {tailLines: -1, follow: false, signal: new AbortController().signal}));
    assert.ok(chunks.every((chunk) => chunk.length <= 1024));
    const all = Buffer.concat(chunks).toString();
    assert.ok(all.length >= 4096 && all.length < 2 * 4096, `kept ${all.length}`);
    assert.ok(all.endsWith('line 999\n'));
    const tail = Buffer.concat(await collect(logs.read('svc', {tailLines: 3, follow: false, signal: new AbortController().signal}))).toString();
    assert.equal(tail, 'line 997\nline 998\nline 999\n');
    writer.write('partial');
    const tail2 = Buffer.concat(await collect(logs.read('svc', {tailLines: 2, follow: false, signal: new AbortController().signal}))).toString();
    assert.equal(tail2, 'line 999\npartial');
    assert.deepEqual(await collect(logs.read('svc', {tailLines: 0, follow: false, signal: new AbortController().signal})), []);
    await assert.rejects(collect(logs.read('nope', {tailLines: -1, follow: false, signal: new AbortController().signal})), {message: 'log "nope" was not registered'});
    assert.deepEqual(logs.ids(), ['svc']);
  });

  it('1 MiB default; a huge write keeps its end; tail cost does not depend on size', async () => {
    const logs = new ServiceLogs();
    const writer = logs.writer('big');
    writer.write(Buffer.alloc(5 << 20, 'x'));
    writer.write('\nlast\n');
    const all = Buffer.concat(await collect(logs.read('big', {tailLines: -1, follow: false, signal: new AbortController().signal})));
    assert.ok(all.length <= (1 << 20) + (64 << 10) && all.length >= 1 << 20);
    const started = process.hrtime.bigint();
    const tail = Buffer.concat(await collect(logs.read('big', {tailLines: 1, follow: false, signal: new AbortController().signal}))).toString();
    assert.equal(tail, 'last\n');
    assert.ok(process.hrtime.bigint() - started < 50_000_000n);
  });

  it('follow sees later writes, across service restarts; a slow follower skips what the ring dropped', async () => {
    const logs = new ServiceLogs(2048);
    const writer = logs.writer('f');
    writer.write('before\n');
    const abort = new AbortController();
    const reader = logs.read('f', {tailLines: -1, follow: true, signal: abort.signal});
    assert.equal((await reader.next()).value.toString(), 'before\n');
    const next = reader.next();
    writer.write('after\n');
    assert.equal((await next).value.toString(), 'after\n');
    // The reader pauses while 10 KiB arrive: it resumes from what the ring still holds.
    for (let i = 0; i < 100; i++) writer.write(`${String(i).padStart(99, '.')}\n`);
    const resumed = (await reader.next()).value.toString();
    assert.ok(!resumed.includes('after'));
    abort.abort();
    assert.equal((await reader.next()).done, true);
  });
});

async function collect(iterable) {
  const chunks = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

function waitFor(predicate, signal) {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (predicate()) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
    signal.addEventListener('abort', () => {
      clearInterval(timer);
      reject(new Error('context canceled'));
    }, {once: true});
  });
}
