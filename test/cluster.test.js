// Local clusters: planning and process handling on their own, then `osctl cluster create|show|
// destroy` end to end with real osd agents on loopback (127.20.9.0/24 .. 127.20.12.0/24, used by no other test).
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import {clustersRoot, nextFreeRange, parseCount, parseLoopbackCidr, planCluster} from '../dist/cli/cluster/layout.js';
import {isNodeProcess, isListening, stopNodeProcesses} from '../dist/cli/cluster/processes.js';
import {formatClusterTable} from '../dist/cli/cluster/view.js';
import {killClusterLeftovers, makeHome, osctl as runOsctl} from './helpers/cli.js';

describe('planning a cluster', () => {
  const root = '/home/u/.talos/clusters';

  test('nodes get consecutive addresses from .2, control planes first, named by role and ordinal', () => {
    const plan = planCluster({name: 'lab', cidr: '127.20.3.0/24', controlplanes: 2, workers: 2, root});
    assert.equal(plan.cidr, '127.20.3.0/24');
    assert.equal(plan.clusterDir, '/home/u/.talos/clusters/lab');
    assert.deepEqual(
      plan.nodes.map((n) => [n.name, n.role, n.address, n.stateDir]),
      [
        ['lab-controlplane-1', 'controlplane', '127.20.3.2', '/home/u/.talos/clusters/lab/lab-controlplane-1'],
        ['lab-controlplane-2', 'controlplane', '127.20.3.3', '/home/u/.talos/clusters/lab/lab-controlplane-2'],
        ['lab-worker-1', 'worker', '127.20.3.4', '/home/u/.talos/clusters/lab/lab-worker-1'],
        ['lab-worker-2', 'worker', '127.20.3.5', '/home/u/.talos/clusters/lab/lab-worker-2'],
      ],
    );
  });

  test('host bits of the CIDR are cleared, as Go does', () => {
    assert.equal(planCluster({name: 'a', cidr: '127.20.3.77/24', controlplanes: 1, workers: 0, root}).nodes[0].address, '127.20.3.2');
    assert.deepEqual(parseLoopbackCidr('127.1.2.3/16'), {base: (127 << 24) + (1 << 16), prefix: 16, size: 65536});
  });

  test('a range outside 127.0.0.0/8 is refused with a loopback hint', () => {
    for (const cidr of ['10.5.0.0/24', '192.168.1.0/24', '0.0.0.0/0', '127.0.0.0/7']) {
      assert.throws(() => planCluster({name: 'a', cidr, controlplanes: 1, workers: 0, root}), (err) => {
        assert.match(err.message, /not a loopback range/);
        assert.match(err.message, /127\.0\.0\.0\/8/);
        assert.equal(err.exitCode, 2);
        return true;
      });
    }
  });

  test('malformed CIDRs name the flag and the expected form', () => {
    for (const cidr of ['127.20.0.0', '127.20.0.0/33', '127.300.0.0/24', 'abc', '::1/128']) {
      assert.throws(() => planCluster({name: 'a', cidr, controlplanes: 1, workers: 0, root}), /--cidr ".*" is not an IPv4 CIDR/);
    }
  });

  test('a range too small for the nodes says how many fit', () => {
    assert.throws(
      () => planCluster({name: 'a', cidr: '127.20.0.0/29', controlplanes: 3, workers: 3, root}),
      /has room for 5 nodes .* but 6 were asked for/,
    );
    assert.equal(planCluster({name: 'a', cidr: '127.20.0.0/29', controlplanes: 3, workers: 2, root}).nodes.at(-1).address, '127.20.0.6');
    assert.throws(() => planCluster({name: 'a', cidr: '127.20.0.0/31', controlplanes: 1, workers: 0, root}), /room for 0 nodes/);
    assert.throws(
      () => planCluster({name: 'a', cidr: '127.20.5.0/24', controlplanes: 3, workers: 300, root}),
      /use a larger range such as 127\.20\.4\.0\/23/,
    );
  });

  test('the suggested free range skips ranges holding taken addresses and stays in 127.0.0.0/8', () => {
    assert.equal(nextFreeRange('127.20.0.0/24', []), '127.20.1.0/24');
    assert.equal(nextFreeRange('127.20.0.0/24', ['127.20.1.2', '127.20.2.9']), '127.20.3.0/24');
    assert.equal(nextFreeRange('127.255.255.0/24', []), undefined);
  });

  test('counts and names are checked', () => {
    assert.throws(() => planCluster({name: 'a', cidr: '127.20.0.0/24', controlplanes: 0, workers: 1, root}), /at least 1 control plane/);
    assert.throws(() => planCluster({name: 'a', cidr: '127.20.0.0/24', controlplanes: 1, workers: -1, root}), /0 or more/);
    for (const name of ['Lab', 'lab_1', '-lab', 'lab-', '', 'a b']) {
      assert.throws(() => planCluster({name, cidr: '127.20.0.0/24', controlplanes: 1, workers: 0, root}), /not a valid cluster name/, name);
    }
    assert.throws(
      () => planCluster({name: 'x'.repeat(50), cidr: '127.20.0.0/24', controlplanes: 1, workers: 0, root}),
      /is too long: a cluster name has at most 48 characters/,
    );
    // 48 characters fit with one-digit ordinals, not with `-controlplane-10`.
    assert.throws(
      () => planCluster({name: 'x'.repeat(48), cidr: '127.20.0.0/24', controlplanes: 10, workers: 0, root}),
      /too long: node hostname .* would exceed 63/,
    );
    assert.equal(parseCount('workers', '2'), 2);
    assert.throws(() => parseCount('workers', 'two'), /--workers "two" is not a number/);
  });

  test('the clusters folder follows an absolute $TALOS_HOME, else ~/.talos', () => {
    assert.equal(clustersRoot({TALOS_HOME: '/srv/talos'}, '/home/u'), '/srv/talos/clusters');
    assert.equal(clustersRoot({TALOS_HOME: 'relative'}, '/home/u'), '/home/u/.talos/clusters');
    assert.equal(clustersRoot({}, '/home/u'), '/home/u/.talos/clusters');
  });

  test('the table pads columns to the widest cell plus 3 spaces, without trailing blanks', () => {
    const view = {
      name: 'lab',
      nodes: [
        {name: 'lab-controlplane-1', role: 'controlplane', address: '127.20.3.2', pid: 4242, state: 'running', stateDir: '/s/lab-controlplane-1'},
        {name: 'lab-worker-1', role: 'worker', address: '127.20.3.3', pid: 0, state: 'stopped', stateDir: '/s/lab-worker-1'},
      ],
    };
    assert.equal(
      formatClusterTable(view),
      'NAME                 ROLE           ADDRESS      PID    STATE     STATE DIR\n' +
        'lab-controlplane-1   controlplane   127.20.3.2   4242   running   /s/lab-controlplane-1\n' +
        'lab-worker-1         worker         127.20.3.3   -      stopped   /s/lab-worker-1\n',
    );
  });
});

describe('osd processes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osctl-proc-'));
  // Stand-ins for osd: a script named osd.js that either exits on SIGTERM or ignores it.
  const politeOsd = path.join(dir, 'polite', 'osd.js');
  const stubbornOsd = path.join(dir, 'stubborn', 'osd.js');
  fs.mkdirSync(path.dirname(politeOsd));
  fs.mkdirSync(path.dirname(stubbornOsd));
  fs.writeFileSync(politeOsd, "setInterval(() => {}, 1000); process.on('SIGTERM', () => process.exit(0)); console.log('ready');\n");
  fs.writeFileSync(stubbornOsd, "setInterval(() => {}, 1000); process.on('SIGTERM', () => {}); console.log('ready');\n");
  const children = [];

  async function start(script, args) {
    const child = spawn(process.execPath, [script, ...args], {stdio: ['ignore', 'pipe', 'inherit']});
    children.push(child);
    await new Promise((resolve) => child.stdout.once('data', resolve)); // its SIGTERM handler is installed
    return child;
  }

  after(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, {recursive: true, force: true});
  });

  test('a PID counts as the node only while its command line is osd.js with that state dir', async () => {
    const child = await start(politeOsd, ['--state-dir', '/state/a', '--address', '127.0.0.1']);
    assert.equal(isNodeProcess(child.pid, '/state/a'), true);
    assert.equal(isNodeProcess(child.pid, '/state/b'), false, 'another node\'s state dir');
    assert.equal(isNodeProcess(process.pid, '/state/a'), false, 'a PID running something else');
    assert.equal(isNodeProcess(0, '/state/a'), false);
  });

  test('stop sends SIGTERM, escalates to SIGKILL after the grace period, and leaves other programs alone', async () => {
    const polite = await start(politeOsd, ['--state-dir', '/state/polite']);
    const stubborn = await start(stubbornOsd, ['--state-dir', '/state/stubborn']);
    // A PID recorded for a node that now runs another program (a reused PID) must survive.
    const bystander = await start(politeOsd, ['--state-dir', '/state/someone-else']);
    const exited = (child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve)));
    const started = Date.now();
    const outcomes = await stopNodeProcesses(
      [
        {name: 'polite', role: 'worker', address: '127.0.0.1', pid: polite.pid, stateDir: '/state/polite'},
        {name: 'stubborn', role: 'worker', address: '127.0.0.1', pid: stubborn.pid, stateDir: '/state/stubborn'},
        {name: 'reused', role: 'worker', address: '127.0.0.1', pid: bystander.pid, stateDir: '/state/reused'},
      ],
      500,
    );
    assert.deepEqual(outcomes.map((o) => [o.node, o.outcome]), [['polite', 'terminated'], ['stubborn', 'killed'], ['reused', 'not running']]);
    assert.ok(Date.now() - started >= 500, 'waited for the grace period before SIGKILL');
    await Promise.all([exited(polite), exited(stubborn)]);
    assert.equal(polite.exitCode, 0);
    assert.equal(stubborn.signalCode, 'SIGKILL');
    assert.equal(bystander.exitCode, null, 'the bystander still runs');
    assert.equal(isNodeProcess(bystander.pid, '/state/someone-else'), true);
  });

  test('isListening tells a bound address from a free one', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const {port} = server.address();
    assert.equal(await isListening('127.0.0.1', port), true);
    server.close();
    await new Promise((resolve) => server.once('close', resolve));
    assert.equal(await isListening('127.0.0.1', port), false);
  });
});

describe('osctl cluster, end to end', () => {
  const {home, env: homeEnv} = makeHome('osctl-cluster-');
  const talosconfigPath = path.join(home, 'talosconfig');
  const root = path.join(home, '.talos', 'clusters');
  const env = {...homeEnv, TALOSCONFIG: talosconfigPath, CI: '1'};
  const osctl = (...args) => runOsctl(args, {env, timeoutMs: 90_000});

  const clusterFile = (name) => path.join(root, name, 'cluster.json');
  const readDescription = (name) => JSON.parse(fs.readFileSync(clusterFile(name), 'utf8'));
  const readTalosconfig = () => yaml.load(fs.readFileSync(talosconfigPath, 'utf8'));
  const processRuns = (pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').length > 0; // a zombie has an empty command line
    } catch {
      return false;
    }
  };
  /** PIDs of any process whose command line mentions `text` (to prove nothing was left behind). */
  const processesMentioning = (text) =>
    fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    });

  before(() => {
    fs.writeFileSync(talosconfigPath, 'context: other\ncontexts:\n  other:\n    endpoints: [127.0.0.1]\n');
  });

  after(async () => {
    for (const name of ['e2e-a', 'e2e-b']) if (fs.existsSync(path.join(root, name))) await osctl('cluster', 'destroy', '--name', name);
    await killClusterLeftovers(home); // whatever a failed test left running
    fs.rmSync(home, {recursive: true, force: true});
  });

  test('create starts one control plane and one worker and makes its context current', async () => {
    const result = await osctl('cluster', 'create', '--name', 'e2e-a', '--cidr', '127.20.9.0/24', '--controlplanes', '1', '--workers', '1');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^NAME +ROLE +ADDRESS +PID +STATE +STATE DIR\n/);
    assert.match(result.stdout, /e2e-a-controlplane-1 +controlplane +127\.20\.9\.2 +\d+ +running/);
    assert.match(result.stdout, /e2e-a-worker-1 +worker +127\.20\.9\.3 +\d+ +running/);
    assert.match(result.stdout, /context "e2e-a" is now current; try: osctl get members\n$/);
    assert.equal(result.stderr, '', 'no progress on stderr without a terminal: success is silent there');

    const description = readDescription('e2e-a');
    assert.equal(description.name, 'e2e-a');
    assert.equal(description.cidr, '127.20.9.0/24');
    assert.ok(!Number.isNaN(Date.parse(description.created)));
    assert.deepEqual(description.nodes.map((n) => [n.name, n.role, n.address]), [
      ['e2e-a-controlplane-1', 'controlplane', '127.20.9.2'],
      ['e2e-a-worker-1', 'worker', '127.20.9.3'],
    ]);
    for (const node of description.nodes) {
      assert.equal(node.stateDir, path.join(root, 'e2e-a', node.name));
      assert.ok(processRuns(node.pid), `${node.name}'s PID ${node.pid} runs`);
      for (const file of ['etc', 'var/lib', 'var/log/osd.console.log', 'system/state/config.yaml', 'system/secrets/api.crt',
        'system/secrets/api.key', 'system/secrets/apid-client.crt', 'system/secrets/apid-client.key']) {
        assert.ok(fs.existsSync(path.join(node.stateDir, file)), `${node.name}: ${file}`);
      }
      const config = yaml.loadAll(fs.readFileSync(path.join(node.stateDir, 'system/state/config.yaml'), 'utf8'))[0];
      assert.equal(config.machine.type, node.role);
      assert.ok(config.machine.ca.crt, 'the OS CA certificate is in every config');
      assert.equal(Boolean(config.machine.ca.key), node.role === 'controlplane', 'the CA key only on control planes');
      assert.equal(fs.statSync(path.join(node.stateDir, 'system/secrets/api.key')).mode & 0o077, 0, 'keys are private');
    }
    assert.ok(fs.existsSync(path.join(root, 'e2e-a', 'discovery')));

    const talosconfig = readTalosconfig();
    assert.equal(talosconfig.context, 'e2e-a');
    assert.ok(talosconfig.contexts.other, 'existing contexts are kept');
    const context = talosconfig.contexts['e2e-a'];
    assert.deepEqual(context.endpoints, ['127.20.9.2']);
    assert.deepEqual(context.nodes, ['127.20.9.2']);
    assert.match(Buffer.from(context.crt, 'base64').toString(), /BEGIN CERTIFICATE/);
  });

  test('show lists both nodes running with live PIDs; -o json adds each node\'s state to cluster.json', async () => {
    const table = await osctl('cluster', 'show', '--name', 'e2e-a');
    assert.equal(table.code, 0, table.stderr);
    const rows = table.stdout.trimEnd().split('\n').slice(1);
    assert.equal(rows.length, 2);
    for (const row of rows) {
      const [, , , pid, state] = row.split(/ {3,}/);
      assert.equal(state, 'running', row);
      assert.ok(processRuns(Number(pid)), `PID ${pid} runs`);
    }
    const json = await osctl('cluster', 'show', '--name', 'e2e-a', '-o', 'json');
    assert.equal(json.code, 0, json.stderr);
    const view = JSON.parse(json.stdout);
    const description = readDescription('e2e-a');
    assert.deepEqual(view.nodes.map(({state, etcd, ...node}) => node), description.nodes);
    assert.deepEqual(view.nodes.map((n) => n.state), ['running', 'running']);
    // The control plane's etcd member and the client files etcdctl needs; the worker has none.
    const etcdDir = path.join(root, 'e2e-a', 'etcd');
    assert.deepEqual(view.nodes.map((n) => n.etcd), [
      {endpoint: 'https://127.20.9.2:2379', ca: path.join(etcdDir, 'ca.crt'), cert: path.join(etcdDir, 'client.crt'), key: path.join(etcdDir, 'client.key')},
      undefined,
    ]);
  });

  test('both nodes answer `osctl version` through the new context', async () => {
    const result = await osctl('version', '-n', '127.20.9.2,127.20.9.3');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /NODE: +127\.20\.9\.2\n/);
    assert.match(result.stdout, /NODE: +127\.20\.9\.3\n/);
  });

  test('a second cluster runs beside the first', async () => {
    const result = await osctl('cluster', 'create', '--name', 'e2e-b', '--cidr', '127.20.10.0/24', '--controlplanes', '1', '--workers', '0');
    assert.equal(result.code, 0, result.stderr);
    const talosconfig = readTalosconfig();
    assert.equal(talosconfig.context, 'e2e-b');
    assert.deepEqual(Object.keys(talosconfig.contexts).sort(), ['e2e-a', 'e2e-b', 'other']);
    const a = await osctl('--context', 'e2e-a', 'version', '-n', '127.20.9.3');
    assert.equal(a.code, 0, a.stderr);
    const b = await osctl('version');
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /NODE: +127\.20\.10\.2\n/);
    for (const node of [...readDescription('e2e-a').nodes, ...readDescription('e2e-b').nodes]) assert.ok(processRuns(node.pid), node.name);
  });

  test('create refuses a non-loopback range before touching anything', async () => {
    const result = await osctl('cluster', 'create', '--name', 'e2e-x', '--cidr', '10.5.0.0/24', '--controlplanes', '1', '--workers', '0');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--cidr 10\.5\.0\.0\/24 is not a loopback range/);
    assert.ok(!fs.existsSync(path.join(root, 'e2e-x')));
  });

  test('create refuses a name that exists and says how to remove it', async () => {
    const result = await osctl('cluster', 'create', '--name', 'e2e-a', '--cidr', '127.20.12.0/24', '--controlplanes', '1', '--workers', '0');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cluster "e2e-a" already exists/);
    assert.match(result.stderr, /osctl cluster destroy --name e2e-a/);
  });

  test('create refuses addresses in use and names the cluster that likely holds them', async () => {
    const result = await osctl('cluster', 'create', '--name', 'e2e-x', '--cidr', '127.20.9.0/24', '--controlplanes', '1', '--workers', '0');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /127\.20\.9\.2:50000 \(probably node e2e-a-controlplane-1 of cluster "e2e-a"\) is already in use/);
    assert.match(result.stderr, /hint: choose another range with --cidr, e\.g\. --cidr 127\.20\.11\.0\/24\n/, 'skips e2e-b\'s range');
    assert.match(result.stderr, /hint: or remove cluster "e2e-a" with `osctl cluster destroy --name e2e-a`/);
    assert.ok(!fs.existsSync(path.join(root, 'e2e-x')));

    const squatter = net.createServer().listen(50000, '127.20.11.3');
    await new Promise((resolve) => squatter.once('listening', resolve));
    try {
      const other = await osctl('cluster', 'create', '--name', 'e2e-x', '--cidr', '127.20.11.0/24', '--controlplanes', '1', '--workers', '1');
      assert.equal(other.code, 1);
      assert.match(other.stderr, /127\.20\.11\.3:50000 \(by a program that is not one of the clusters in .*\) is already in use/);
      assert.ok(!fs.existsSync(path.join(root, 'e2e-x')));
    } finally {
      squatter.close();
    }
  });

  test('a create whose nodes do not come up in time leaves nothing behind', async () => {
    const result = await osctl('cluster', 'create', '--name', 'e2e-slow', '--cidr', '127.20.12.0/24', '--controlplanes', '1', '--workers', '0', '--wait-timeout', '1ms');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /node e2e-slow-controlplane-1 \(127\.20\.12\.2\) did not come up/);
    assert.match(result.stderr, /nothing was left behind/);
    assert.ok(!fs.existsSync(path.join(root, 'e2e-slow')));
    assert.deepEqual(processesMentioning(path.join(root, 'e2e-slow')), []);
    assert.equal(readTalosconfig().contexts['e2e-slow'], undefined);
    assert.equal(readTalosconfig().context, 'e2e-b', 'the current context is untouched');
  });

  test('destroy stops the processes, removes the state and the context, and switches the current context', async () => {
    const pids = readDescription('e2e-b').nodes.map((n) => n.pid);
    const result = await osctl('cluster', 'destroy', '--name', 'e2e-b');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /destroyed cluster "e2e-b": stopped 1 osd process, removed .*e2e-b, removed context "e2e-b" from .*talosconfig \(current context is now "other"\)/);
    for (const pid of pids) assert.equal(processRuns(pid), false, `PID ${pid} is gone`);
    assert.ok(!fs.existsSync(path.join(root, 'e2e-b')));
    const talosconfig = readTalosconfig();
    assert.equal(talosconfig.contexts['e2e-b'], undefined);
    assert.equal(talosconfig.context, 'other');
    assert.ok(talosconfig.contexts['e2e-a'], 'the other cluster\'s context stays');

    const show = await osctl('cluster', 'show', '--name', 'e2e-a');
    assert.match(show.stdout, /running/, 'the other cluster still runs');
  });

  test('destroy of an unknown cluster lists the clusters there are', async () => {
    const result = await osctl('cluster', 'destroy', '--name', 'nope');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cluster "nope" not found in .*; existing clusters: e2e-a/);
    const show = await osctl('cluster', 'show', '--name', 'nope');
    assert.equal(show.code, 1);
    assert.match(show.stderr, /existing clusters: e2e-a/);
  });

  test('destroy finishes a cluster whose processes are already gone', async () => {
    const nodes = readDescription('e2e-a').nodes;
    for (const node of nodes) process.kill(node.pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const show = await osctl('cluster', 'show', '--name', 'e2e-a');
    assert.match(show.stdout, /e2e-a-worker-1 .* stopped /);
    const result = await osctl('cluster', 'destroy', '--name', 'e2e-a');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /stopped 0 osd processes/);
    assert.ok(!fs.existsSync(path.join(root, 'e2e-a')));
    assert.equal(readTalosconfig().contexts['e2e-a'], undefined);
  });
});
