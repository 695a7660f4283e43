// Unit tests of the CLI core on plain data: argv hoisting, the fast path's parser, type
// resolution, durations, fan-out and error explanations.
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {hoistGlobalFlags} from '../dist/cli/argv.js';
import {parseDuration} from '../dist/cli/duration.js';
import {explainRpcError} from '../dist/cli/errors.js';
import {fastInvocation} from '../dist/cli/fast-path.js';
import {fanOut} from '../dist/cli/fanout.js';
import {resolveResourceType} from '../dist/cli/resources.js';
import {root} from './helpers/cli.js';

describe('hoistGlobalFlags', () => {
  it('moves global flags typed before the command behind it', () => {
    assert.deepEqual(hoistGlobalFlags(['-n', '10.5.0.2', 'logs', 'kubelet']), ['logs', 'kubelet', '-n', '10.5.0.2']);
    assert.deepEqual(
      hoistGlobalFlags(['--talosconfig', 'f', '-e', 'ep', 'get', 'members']),
      ['get', 'members', '--talosconfig', 'f', '-e', 'ep'],
    );
    assert.deepEqual(hoistGlobalFlags(['--nodes=a,b', '-eX', 'etcd', 'snapshot', 'x']), ['etcd', 'snapshot', 'x', '--nodes=a,b', '-eX']);
  });
  it('keeps the order of everything else and respects --', () => {
    assert.deepEqual(hoistGlobalFlags(['get', '-n', 'a', 'members']), ['get', '-n', 'a', 'members']);
    assert.deepEqual(hoistGlobalFlags(['-n', 'a', 'x', '--', '-y']), ['x', '-n', 'a', '--', '-y']);
    assert.deepEqual(hoistGlobalFlags(['--help']), ['--help']);
  });
});

describe('fast path', () => {
  const invoke = (...argv) => fastInvocation(argv, root);
  it('parses a well-formed command like oclif would', () => {
    const inv = invoke('get', 'members', '-n', 'a,b', '--nodes', 'c', '-o', 'json', '-w');
    assert.equal(inv.id, 'get');
    assert.deepEqual(inv.args, {type: 'members', id: undefined});
    assert.deepEqual(inv.flags.nodes, ['a', 'b', 'c']);
    assert.equal(inv.flags.output, 'json');
    assert.equal(inv.flags.watch, true);
    assert.equal(inv.flags.timeout, '30s');
  });
  it('takes one value per -n, so arguments may follow it (oclif: multipleNonGreedy)', () => {
    const inv = invoke('get', '-n', 'a', 'members');
    assert.deepEqual(inv.args.type, 'members');
    assert.deepEqual(inv.flags.nodes, ['a']);
    assert.equal(invoke('version', '-n', 'a').flags.nodes.length, 1);
  });
  it('resolves aliases and topics', () => {
    assert.equal(invoke('g', 'rd').id, 'get');
    assert.equal(invoke('config', 'info', '-o=yaml').flags.output, 'yaml');
    assert.deepEqual(invoke('config', 'endpoints', 'a', 'b').argv, ['a', 'b']);
  });
  it('leaves help, unknown flags, missing arguments and extra arguments to oclif', () => {
    assert.equal(invoke('get', '--help'), undefined);
    assert.equal(invoke('get', 'members', '--bogus'), undefined);
    assert.equal(invoke('get'), undefined);
    assert.equal(invoke('get', 'a', 'b', 'c'), undefined);
    assert.equal(invoke('nosuchcommand'), undefined);
  });
});

describe('resolveResourceType', () => {
  const rd = (type, aliases, extra = []) => {
    const [plural, ...suffix] = type.split('.');
    const lower = plural.toLowerCase();
    return {
      id: type.toLowerCase(), type, displayType: plural.replace(/s$/, ''), defaultNamespace: 'ns', aliases, printColumns: [], sensitive: false,
      allAliases: [lower, ...suffix.slice(0, -1).map((_, i) => [lower, ...suffix.slice(0, i + 1)].join('.')), ...aliases, ...extra],
    };
  };
  const defs = [
    rd('MachineConfigs.config.talos.dev', ['machineconfig', 'mc', 'mcs']),
    rd('HostnameStatuses.net.talos.dev', ['hostname', 'hostnamestatus', 'hs']),
    rd('HostnameSpecs.net.talos.dev', ['hostnamespec', 'hs']),
    rd('Members.cluster.talos.dev', ['member']),
  ];
  it('matches ids and aliases case-insensitively', () => {
    assert.equal(resolveResourceType(defs, 'MC').type, 'MachineConfigs.config.talos.dev');
    assert.equal(resolveResourceType(defs, 'members.cluster.talos.dev').type, 'Members.cluster.talos.dev');
    assert.equal(resolveResourceType(defs, 'Members.Cluster').type, 'Members.cluster.talos.dev');
  });
  it('reports ambiguity with talosctl wording', () => {
    assert.throws(() => resolveResourceType(defs, 'hs'), /resource type "hs" is ambiguous: \[hostnamespecs\.net\.talos\.dev hostnamestatuses\.net\.talos\.dev\]/);
  });
  it('suggests the closest types for an unknown one', () => {
    assert.throws(() => resolveResourceType(defs, 'membr'), (err) => /is not registered/.test(err.message) && err.hints.some((h) => h.includes('"member"')));
  });
});

describe('parseDuration', () => {
  it('reads Go durations', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('8760h'), 8760 * 3_600_000);
    assert.equal(parseDuration('250ms'), 250);
  });
  it('rejects what is not one', () => {
    assert.throws(() => parseDuration('30'), /invalid duration "30"/);
    assert.throws(() => parseDuration('5x'), /invalid duration/);
  });
});

describe('fanOut', () => {
  it('keeps node order, isolates failures and bounds concurrency', async () => {
    let running = 0;
    let peak = 0;
    const results = await fanOut(['a', 'b', 'c', 'd', 'e'], async (node) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, node === 'a' ? 30 : 5));
      running--;
      if (node === 'c') throw new Error('boom');
      return node.toUpperCase();
    }, 2);
    assert.deepEqual(results.map((r) => r.node), ['a', 'b', 'c', 'd', 'e']);
    assert.equal(results[2].error.message, 'boom');
    assert.equal(results[4].value, 'E');
    assert.equal(peak, 2);
  });
  it('starts every node at once by default, so 40 never-ending watches all run', async () => {
    const started = new Set();
    let release;
    const allStarted = new Promise((resolve) => (release = resolve));
    const nodes = Array.from({length: 40}, (_, i) => `n${i}`);
    const done = fanOut(nodes, async (node) => {
      started.add(node);
      if (started.size === nodes.length) release();
      await allStarted; // no call ends before every node has started
      return node;
    });
    await Promise.race([allStarted, new Promise((r) => setTimeout(r, 1000))]);
    assert.equal(started.size, 40);
    assert.equal((await done).length, 40);
  });
});

describe('explainRpcError', () => {
  const site = {configPath: '/home/u/.talos/config', contextName: 'lab', endpoint: '10.0.0.1:50000', node: '10.0.0.7'};
  it('says the endpoint connection was lost when it closes under a running call (not that the node is unreachable)', () => {
    const text = explainRpcError({code: 14, details: 'Connection dropped'}, site);
    assert.equal(text, 'the connection to endpoint 10.0.0.1:50000 was lost during the call to node 10.0.0.7 via endpoint 10.0.0.1:50000: its agent stopped, or the network dropped it.');
  });
  it('names the talosconfig, context, endpoint and node', () => {
    const refused = explainRpcError({code: 14, details: 'No connection established. Last error: connect ECONNREFUSED 10.0.0.1:50000'}, site);
    assert.match(refused, /endpoint 10\.0\.0\.1:50000 \(connection refused\)/);
    assert.match(refused, /context "lab" of talosconfig "\/home\/u\/\.talos\/config"/);
    const tls = explainRpcError({code: 14, details: 'No connection established. Last error: Error: unable to verify the first certificate. Resolution note: '}, site);
    assert.match(tls, /certificate of endpoint 10\.0\.0\.1:50000 is not signed by the CA in context "lab"/);
    // osd's answer names the node already; apid's (grpc-go's dial error) does not.
    const forwarded = explainRpcError({code: 14, details: 'node 10.0.0.7 (10.0.0.7:50000) is unreachable: nothing accepts connections there (connection refused)'}, site);
    assert.equal(forwarded, 'node 10.0.0.7 (10.0.0.7:50000) is unreachable: nothing accepts connections there (connection refused), says endpoint 10.0.0.1:50000. Check the node address (-n) and that its agent is running.');
    const fromApid = explainRpcError({code: 14, details: 'connection error: desc = "transport: Error while dialing: dial tcp 10.0.0.7:50000: connect: connection refused"'}, site);
    assert.match(fromApid, /^node 10\.0\.0\.7 is unreachable through endpoint 10\.0\.0\.1:50000: connection error/);
    // A call the node (or the connection) ended is not the user's cancel.
    const ended = explainRpcError({code: 1, details: 'Cancelled'}, site);
    assert.match(ended, /^the call to node 10\.0\.0\.7 via endpoint 10\.0\.0\.1:50000 was canceled, not by this command \(Cancelled\): the agent stopped, or the connection was lost\.$/);
    const denied = explainRpcError({code: 7, details: 'not authorized'}, site);
    assert.match(denied, /not authorized/);
    assert.match(denied, /os:admin/);
  });
});
