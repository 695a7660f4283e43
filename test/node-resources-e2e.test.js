// The resources backed by real data, end to end: `osctl get` through the endpoint (the control
// plane, 127.57.1.2) to the worker (127.57.1.3) of a cluster made by `osctl cluster create`,
// table and YAML, for addresses, links, routes, nodeaddresses, platformmetadata, etcfilespecs and
// etcfilestatuses, and their ResourceDefinitions; then an osd started as the host's agent
// (--host-agent, 127.57.2.3) reached through another osd (127.57.2.2): the host's own links and
// addresses as /sys/class/net and os.networkInterfaces() show them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {clusterDescription, createCluster, discardCluster, makeHome, osctl} from './helpers/cli.js';
import {osdProcess} from './helpers/agents.js';
import {prepareCluster} from './helpers/osd-processes.js';
import {endRecordedProcessGroups} from './helpers/process-groups.js';
import {renderMachineId} from '../dist/agent/controllers/etc-files.js';
import {formatIp} from '../dist/agent/controllers/kernel-network.js';
import {ipBytes} from '../dist/agent/net.js';

const NAME = 'h7res';
const CP = '127.57.1.2';
const WORKER = '127.57.1.3';

const user = makeHome('osctl-h7res-e2e-');
const run = (args, env = user.env) => osctl(args, {env, timeoutMs: 60_000});

/** Runs osctl and requires success with nothing on stderr. */
async function ok(args, env) {
  const r = await run(args, env);
  assert.equal(r.code, 0, `osctl ${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr, '', `osctl ${args.join(' ')} printed on stderr`);
  return r.stdout;
}

const table = (text) => text.trimEnd().split('\n').map((line) => line.split(/ {3,}/));
const yamlDocuments = (text) => text.split(/^---$/m).filter((doc) => doc.trim() !== '');

before(async () => {
  await createCluster(user, ['--name', NAME, '--cidr', '127.57.1.0/24', '--controlplanes', '1', '--workers', '1']);
});

after(async () => {
  await discardCluster(user, NAME);
});

describe('resources of a local cluster node, through the endpoint', () => {
  it('addresses: the worker\'s own loopback address on lo, not the endpoint\'s', async () => {
    const rows = table(await ok(['-n', WORKER, 'get', 'addresses']));
    assert.deepEqual(rows[0], ['NODE', 'NAMESPACE', 'TYPE', 'ID', 'VERSION', 'ADDRESS', 'LINK']);
    assert.deepEqual(rows.slice(1), [[WORKER, 'network', 'AddressStatus', `lo/${WORKER}/8`, '1', `${WORKER}/8`, 'lo']]);
    const yaml = await ok(['-n', WORKER, 'get', 'addresses', '-o', 'yaml']);
    assert.match(yaml, /^node: 127\.57\.1\.3$/m);
    assert.ok(
      yaml.includes(`spec:
    address: ${WORKER}/8
    local: ${WORKER}
    linkIndex: ${fs.readFileSync('/sys/class/net/lo/ifindex', 'utf8').trim()}
    linkName: lo
    family: inet4
    scope: host
    flags: permanent
    priority: 0
`),
      yaml,
    );
    assert.ok(!yaml.includes(CP));
  });

  it('links: lo as the host reports it in /sys/class/net/lo', async () => {
    const rows = table(await ok(['-n', WORKER, 'get', 'links']));
    assert.deepEqual(rows[0], ['NODE', 'NAMESPACE', 'TYPE', 'ID', 'VERSION', 'ALIAS', 'TYPE', 'KIND', 'HW ADDR', 'OPER STATE', 'LINK STATE']);
    const address = fs.readFileSync('/sys/class/net/lo/address', 'utf8').trim();
    const operstate = fs.readFileSync('/sys/class/net/lo/operstate', 'utf8').trim();
    // ALIAS and KIND are empty, so their cells merge into the column gaps.
    assert.deepEqual(rows.slice(1), [[WORKER, 'network', 'LinkStatus', 'lo', '1', 'loopback', address, operstate, 'true']]);
    const yaml = await ok(['-n', WORKER, 'get', 'link', 'lo', '-o', 'yaml']);
    const spec = yaml.slice(yaml.indexOf('spec:\n'));
    const keys = [...spec.matchAll(/^ {4}(\w+):/gm)].map((match) => match[1]);
    assert.deepEqual(keys, ['index', 'type', 'linkIndex', 'flags', 'hardwareAddr', 'permanentAddr', 'broadcastAddr', 'mtu', 'queueDisc', 'operationalState', 'kind', 'slaveKind', 'linkState', 'port', 'duplex']);
    assert.match(spec, new RegExp(`^ {4}mtu: ${fs.readFileSync('/sys/class/net/lo/mtu', 'utf8').trim()}$`, 'm'));
    assert.match(spec, /^ {4}flags: UP,LOOPBACK,RUNNING,LOWER_UP$/m);
  });

  it('routes: the local routes of lo', async () => {
    const rows = table(await ok(['-n', WORKER, 'get', 'routes']));
    assert.deepEqual(rows[0], ['NODE', 'NAMESPACE', 'TYPE', 'ID', 'VERSION', 'DESTINATION', 'GATEWAY', 'LINK', 'METRIC', 'TABLE']);
    const loopbackNet = rows.find((row) => row[3] === 'local/inet4//127.0.0.0/8/0');
    assert.ok(loopbackNet, JSON.stringify(rows));
    // The gateway cell is empty, so it merges into the column gap.
    assert.deepEqual(loopbackNet.filter((cell) => cell !== ''), [WORKER, 'network', 'RouteStatus', 'local/inet4//127.0.0.0/8/0', '1', '127.0.0.0/8', 'lo', '0', 'local']);
    assert.ok(rows.slice(1).every((row) => row.includes('lo')), 'only routes through lo');
    const yaml = await ok(['-n', WORKER, 'get', 'route', 'local/inet4//127.0.0.0/8/0', '-o', 'yaml']);
    assert.ok(
      yaml.includes(`spec:
    family: inet4
    dst: 127.0.0.0/8
    src: 127.0.0.1
    gateway: ""
`),
      yaml,
    );
    assert.match(yaml, /^ {4}type: local\n {4}flags: ""\n {4}protocol: kernel$/m);
  });

  it('nodeaddresses: default, current, routed, accumulative hold the node address', async () => {
    const rows = table(await ok(['-n', WORKER, 'get', 'nodeaddresses']));
    assert.deepEqual(rows[0], ['NODE', 'NAMESPACE', 'TYPE', 'ID', 'VERSION', 'ADDRESSES', 'SORTALGORITHM']);
    // The cluster section makes the no-k8s/only-k8s variants; 127.57.1.3 is in no pod or service subnet.
    assert.deepEqual(
      rows.slice(1).map((row) => [row[3], row[5], row[6]]),
      [
        ['accumulative', `["${WORKER}/8"]`, 'v1'],
        ['accumulative-no-k8s', `["${WORKER}/8"]`, 'v1'],
        ['accumulative-only-k8s', '[]', 'v1'],
        ['current', `["${WORKER}/8"]`, 'v1'],
        ['current-no-k8s', `["${WORKER}/8"]`, 'v1'],
        ['current-only-k8s', '[]', 'v1'],
        ['default', `["${WORKER}/8"]`, 'v1'],
        ['routed', `["${WORKER}/8"]`, 'v1'],
        ['routed-no-k8s', `["${WORKER}/8"]`, 'v1'],
        ['routed-only-k8s', '[]', 'v1'],
      ],
    );
    const yaml = await ok(['-n', WORKER, 'get', 'nodeaddress', 'default', '-o', 'yaml']);
    assert.ok(yaml.includes(`spec:\n    addresses:\n        - ${WORKER}/8\n    sortAlgorithm: v1\n`), yaml);
  });

  it('platformmetadata: platform osd and the node\'s hostname', async () => {
    const rows = table(await ok(['-n', WORKER, 'get', 'platformmetadata']));
    assert.deepEqual(rows[0], ['NODE', 'NAMESPACE', 'TYPE', 'ID', 'VERSION', 'PLATFORM', 'TYPE', 'REGION', 'ZONE']);
    assert.deepEqual(rows[1].slice(0, 6), [WORKER, 'runtime', 'PlatformMetadata', 'platformmetadata', '1', 'osd']);
    const yaml = await ok(['-n', WORKER, 'get', 'pm', '-o', 'yaml']);
    assert.ok(yaml.includes(`spec:\n    platform: osd\n    hostname: ${NAME}-worker-1\n`), yaml);
  });

  it('etcfilespecs: what is in the worker\'s etc/hostname, etc/hosts and etc/machine-id, byte for byte', async () => {
    const stateDir = clusterDescription(user.home, NAME).nodes.find((node) => node.address === WORKER).stateDir;
    const rows = table(await ok(['-n', WORKER, 'get', 'etcfilespecs']));
    assert.deepEqual(rows.map((row) => row.slice(3)), [['ID', 'VERSION'], ['hostname', '1'], ['hosts', '1'], ['machine-id', '1']]);
    const records = JSON.parse(`[${(await ok(['-n', WORKER, 'get', 'etcfilespecs', '-o', 'json'])).trim().replace(/\n}\n{/g, '\n},\n{')}]`);
    for (const record of records) {
      const file = fs.readFileSync(path.join(stateDir, 'etc', record.metadata.id), 'utf8');
      assert.equal(record.spec.contents, file, record.metadata.id);
      assert.equal(record.spec.mode, fs.statSync(path.join(stateDir, 'etc', record.metadata.id)).mode & 0o777);
    }
    assert.match(records.find((r) => r.metadata.id === 'hosts').spec.contents, new RegExp(`^${WORKER.replaceAll('.', '\\.')} +${NAME}-worker-1$`, 'm'));
    const nodeId = JSON.parse(`[${(await ok(['-n', WORKER, 'get', 'identities', '-o', 'json'])).trim().replace(/\n}\n{/g, '\n},\n{')}]`)[0].spec.nodeId;
    assert.equal(records.find((r) => r.metadata.id === 'machine-id').spec.contents, renderMachineId(nodeId), 'derived from the node identity');
    assert.match(renderMachineId(nodeId), /^[0-9a-f]{32}$/);
    assert.deepEqual(
      records.map((r) => [r.metadata.id, r.metadata.owner]),
      [['hostname', 'network.EtcFileController'], ['hosts', 'network.EtcFileController'], ['machine-id', 'cluster.NodeIdentityController']],
    );
    const yaml = await ok(['-n', WORKER, 'get', 'etcfilespec', 'hostname', '-o', 'yaml']);
    assert.ok(yaml.includes(`spec:\n    contents: |\n        ${NAME}-worker-1\n    mode: 420\n    selinux_label: ""\n`), yaml);
  });

  it('etcfilestatuses: the spec version on disk', async () => {
    const yaml = await ok(['-n', WORKER, 'get', 'etcfilestatuses', '-o', 'yaml']);
    const documents = yamlDocuments(yaml);
    assert.equal(documents.length, 3);
    for (const document of documents) {
      assert.match(document, /^ {4}owner: files\.EtcFileController$/m);
      assert.match(document, /^spec:\n {4}specVersion: "1"$/m);
    }
  });

  it('get rd <type> for each type', async () => {
    const expected = {
      'addressstatuses.net.talos.dev': ['network', 'AddressStatus', ['address', 'addresses', 'addressstatus', 'as']],
      'linkstatuses.net.talos.dev': ['network', 'LinkStatus', ['link', 'links', 'linkstatus', 'ls']],
      'routestatuses.net.talos.dev': ['network', 'RouteStatus', ['route', 'routes', 'routestatus', 'rs']],
      'nodeaddresses.net.talos.dev': ['network', 'NodeAddress', ['nodeaddress', 'na', 'nas']],
      'platformmetadatas.talos.dev': ['runtime', 'PlatformMetadata', ['platformmetadata', 'pm', 'pms']],
      'etcfilespecs.files.talos.dev': ['files', 'EtcFileSpec', ['etcfilespec', 'efs']],
      'etcfilestatuses.files.talos.dev': ['files', 'EtcFileStatus', ['etcfilestatus', 'efs']],
    };
    for (const [id, [namespace, displayType, aliases]] of Object.entries(expected)) {
      const yaml = await ok(['-n', WORKER, 'get', 'rd', id, '-o', 'yaml']);
      assert.match(yaml, new RegExp(`^ {4}displayType: ${displayType}$`, 'm'), id);
      assert.match(yaml, new RegExp(`^ {4}defaultNamespace: ${namespace}$`, 'm'), id);
      const aliasBlock = /^ {4}aliases:\n((?: {8}- .*\n)+)/m.exec(yaml)?.[1] ?? '';
      assert.deepEqual(aliasBlock.trim().split('\n').map((line) => line.trim().slice(2)), aliases, id);
    }
  });
});

describe('a host agent (osd --host-agent), through another osd', () => {
  const A = '127.57.2.2';
  const B = '127.57.2.3';
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-h7res-host-'));
  const started = [];
  let env;

  before(async () => {
    const cluster = await prepareCluster(root, [
      ['h7res-a', A, 'controlplane'],
      ['h7res-b', B, 'worker'],
    ]);
    for (const [index, address] of [A, B].entries()) {
      const args = ['--state-dir', cluster.stateDirs[index], '--address', address, '--port', String(cluster.port), '--discovery-dir', cluster.discoveryDir];
      const osd = osdProcess(address === B ? [...args, '--host-agent'] : args);
      started.push({osd, stateDir: cluster.stateDirs[index]});
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`osd on ${address} did not start: ${osd.output.stderr}`)), 20_000);
        osd.child.stdout.on('data', () => {
          if (osd.output.stdout.includes('osd listening on')) {
            clearTimeout(timer);
            resolve();
          }
        });
        osd.exited.then((code) => reject(new Error(`osd on ${address} exited with ${code}: ${osd.output.stderr}`)));
      });
    }
    const base64 = (text) => Buffer.from(text).toString('base64');
    const talosconfig = path.join(root, 'talosconfig');
    fs.writeFileSync(
      talosconfig,
      `context: h7res\ncontexts:\n  h7res:\n    endpoints: ["${A}:${cluster.port}"]\n    nodes: ["${B}"]\n    ca: ${base64(cluster.ca.crt)}\n    crt: ${base64(cluster.admin.crt)}\n    key: ${base64(cluster.admin.key)}\n`,
    );
    env = {...user.env, TALOSCONFIG: talosconfig};
  });

  after(async () => {
    for (const {osd} of started) {
      if (osd.child.exitCode === null && osd.child.signalCode === null) process.kill(osd.child.pid, 'SIGKILL');
      await osd.exited;
    }
    for (const {stateDir} of started) await endRecordedProcessGroups(stateDir);
    fs.rmSync(root, {recursive: true, force: true});
  });

  it('links: every link of /sys/class/net, with its index and MTU', async () => {
    const records = (await ok(['get', 'links', '-o', 'json'], env)).trim().split(/\n(?=\{)/).map((text) => JSON.parse(text));
    assert.deepEqual(records.map((r) => r.metadata.id).sort(), fs.readdirSync('/sys/class/net').sort());
    for (const record of records) {
      assert.equal(record.node, B);
      assert.equal(record.spec.index, Number(fs.readFileSync(`/sys/class/net/${record.metadata.id}/ifindex`, 'utf8')));
      assert.equal(record.spec.mtu, Number(fs.readFileSync(`/sys/class/net/${record.metadata.id}/mtu`, 'utf8')));
    }
  });

  it('addresses: every address Node sees on the host, by link', async () => {
    const rows = table(await ok(['get', 'addresses'], env)).slice(1);
    const ids = new Set(rows.map((row) => row[3]));
    for (const [name, entries] of Object.entries(os.networkInterfaces())) {
      for (const entry of entries) {
        const id = `${name}/${formatIp(ipBytes(entry.address))}/${entry.cidr.split('/')[1]}`;
        assert.ok(ids.has(id), `${id} in ${[...ids]}`);
      }
    }
  });

  it('routes and nodeaddresses: the host\'s, loopback left out of the node addresses', async () => {
    const routes = table(await ok(['get', 'routes'], env)).slice(1);
    assert.ok(routes.some((row) => row[3] === 'local/inet4//127.0.0.0/8/0'));
    const current = (await ok(['get', 'nodeaddress', 'current', '-o', 'yaml'], env));
    assert.ok(!/127\.0\.0\.1|::1\//.test(current), current);
  });
});
