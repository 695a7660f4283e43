// Real etcd members over mutual TLS for the etcd API tests, without the etcd service: an ECDSA
// P-256 etcd CA (as Talos's) made with openssl, one /usr/bin/etcd per address, an EtcdAccess
// around the member's EtcdClient, and in-process AgentServers serving the etcd methods with it.
// Every process is stopped by PID.
import {execFileSync, spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {EtcdClient} from '../../dist/agent/etcd/client.js';
import {createLogger} from '../../dist/agent/log.js';
import {AgentServer} from '../../dist/agent/server/server.js';
import {ResourceStore} from '../../dist/agent/store/store.js';
import {newMachineConfig} from '../../dist/machinery/machineconfig/index.js';
import {generateCA, issueClientCert, issueServerCert} from '../../dist/machinery/pki.js';
import {DAY, freePort} from './agents.js';

export const ETCD_BINARY = process.env.OSD_ETCD_BINARY ?? '/usr/bin/etcd';
export const ETCDCTL_BINARY = '/usr/bin/etcdctl';

function openssl(args, cwd) {
  execFileSync('openssl', args, {cwd, stdio: ['ignore', 'ignore', 'pipe']});
}

/** An etcd CA and, per address, a server+peer certificate (IP SAN) and one client certificate, as PEM files under `dir`. */
export function makeEtcdPki(dir, addresses) {
  fs.mkdirSync(dir, {recursive: true});
  const key = (name) => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`], dir);
  const sign = (name, subject, extensions) => {
    fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
  };
  key('ca');
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/O=etcd', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,digitalSignature', '-out', 'ca.crt'], dir);
  for (const address of addresses) {
    key(address);
    sign(address, `/CN=${address}`, `subjectAltName=IP:${address},IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
  }
  key('client');
  sign('client', '/O=system:masters/CN=admin', 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  const read = (file) => fs.readFileSync(path.join(dir, file), 'utf8');
  return {
    dir,
    ca: path.join(dir, 'ca.crt'),
    client: {cert: path.join(dir, 'client.crt'), key: path.join(dir, 'client.key')},
    credentials: {ca: read('ca.crt'), cert: read('client.crt'), key: read('client.key')},
    server: (address) => ({cert: path.join(dir, `${address}.crt`), key: path.join(dir, `${address}.key`)}),
  };
}

/** One etcd member process; `stop()` ends it by PID (SIGTERM, SIGKILL after 5 s). */
export function spawnEtcd({name, address, dataDir, pki, initialCluster, state = 'new', logFile}) {
  const server = pki.server(address);
  const args = [
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=https://${address}:2379`,
    `--advertise-client-urls=https://${address}:2379`,
    `--listen-peer-urls=https://${address}:2380`,
    `--initial-advertise-peer-urls=https://${address}:2380`,
    `--initial-cluster=${initialCluster}`,
    `--initial-cluster-state=${state}`,
    '--initial-cluster-token=etcd-api-test',
    `--cert-file=${server.cert}`, `--key-file=${server.key}`, `--trusted-ca-file=${pki.ca}`, '--client-cert-auth',
    `--peer-cert-file=${server.cert}`, `--peer-key-file=${server.key}`, `--peer-trusted-ca-file=${pki.ca}`, '--peer-client-cert-auth',
    '--logger=zap', '--log-outputs=stderr',
    // Short elections keep the tests quick.
    '--heartbeat-interval=50', '--election-timeout=500',
  ];
  const log = fs.openSync(logFile, 'a');
  const child = spawn(ETCD_BINARY, args, {stdio: ['ignore', log, log]});
  fs.closeSync(log);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return {
    child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      return exited;
    },
  };
}

/**
 * What the etcd methods need from a node, around real members: the node's own member, any member
 * that answers as the cluster client, the local member id as the member reports it, and stopAndWipe
 * ending the member's process and emptying its data dir.
 */
export class TestEtcdAccess {
  constructor(member, members, machineType = 'controlplane') {
    this.member = member;
    this.members = members;
    this.type = machineType;
    this.wiped = false;
  }

  machineType() {
    return this.type;
  }

  localClient() {
    return this.member.client;
  }

  async clusterClient(signal) {
    for (const candidate of [this.member, ...this.members.filter((m) => m !== this.member)]) {
      if (signal.aborted) break;
      if (candidate.process === undefined) continue;
      try {
        await candidate.client.status({signal, timeoutMs: 1000});
        return candidate.client;
      } catch {
        // the next member
      }
    }
    throw new Error('no etcd member answers');
  }

  async localMemberId(signal) {
    for (;;) {
      try {
        return (await this.member.client.status({signal, timeoutMs: 1000})).header.memberId;
      } catch (error) {
        if (signal.aborted) throw error;
        await delay(100);
      }
    }
  }

  async stopAndWipe() {
    await this.member.process?.stop();
    this.member.process = undefined;
    for (const entry of fs.readdirSync(this.member.dataDir)) fs.rmSync(path.join(this.member.dataDir, entry), {recursive: true, force: true});
    this.wiped = true;
  }
}

/** Waits until every member answers Status with a leader. */
export async function waitHealthy(members, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (const member of members) {
    for (;;) {
      try {
        const status = await member.client.status({timeoutMs: 1000});
        if (status.leader !== 0n) break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`etcd ${member.name} is not healthy: ${error.message}\n${fs.readFileSync(member.logFile, 'utf8').slice(-2000)}`);
      }
      await delay(100);
    }
  }
}

/** A new etcd cluster, one member per [name, address]; `stop()` ends every member and closes the clients. */
export async function startEtcdCluster(root, nodes) {
  const pki = makeEtcdPki(path.join(root, 'etcd-pki'), nodes.map(([, address]) => address));
  const initialCluster = nodes.map(([name, address]) => `${name}=https://${address}:2380`).join(',');
  const members = nodes.map(([name, address]) => {
    const dataDir = path.join(root, name, 'var', 'lib', 'etcd');
    fs.mkdirSync(dataDir, {recursive: true, mode: 0o700});
    const logFile = path.join(root, `${name}-etcd.log`);
    return {name, address, dataDir, logFile, client: new EtcdClient(`${address}:2379`, pki.credentials)};
  });
  for (const member of members) member.process = spawnEtcd({...member, pki, initialCluster});
  const cluster = {
    pki,
    members,
    async stop() {
      for (const member of members) await member.process?.stop();
      for (const member of members) member.client.close();
    },
  };
  try {
    await waitHealthy(members);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** etcdctl against `member`, with the test PKI's client certificate; resolves with stdout. */
export function etcdctl(pki, member, args, input) {
  return execFileSync(ETCDCTL_BINARY, [`--endpoints=https://${member.address}:2379`, `--cacert=${pki.ca}`, `--cert=${pki.client.cert}`, `--key=${pki.client.key}`, ...args], {
    env: {...process.env, ETCDCTL_API: '3'},
    input,
    encoding: 'utf8',
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
}

/**
 * In-process AgentServers on each address serving the etcd methods through `accessFor(address)`,
 * an os:admin talosconfig for the CLI (`talosconfig`), and `stop()`.
 */
export async function startAgentServers(root, addresses, accessFor, {machineType = () => 'controlplane'} = {}) {
  const ca = await generateCA({organization: 'talos', ttlMs: DAY});
  const admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
  const reader = await issueClientCert(ca, {roles: ['os:reader'], ttlMs: DAY});
  const forwarding = await issueClientCert(ca, {roles: ['os:impersonator'], ttlMs: DAY});
  const port = await freePort(addresses);
  const log = createLogger({file: path.join(root, 'agents.log'), stderr: false});
  const servers = [];
  const build = {tag: 'v0.0.0-test', sha: 'test', built: '', runtime: `node ${process.version}`, os: 'linux', arch: 'amd64'};
  try {
    for (const address of addresses) {
      const serving = await issueServerCert(ca, {ips: [address], dnsNames: [], commonName: address, ttlMs: DAY});
      const config = newMachineConfig({
        type: machineType(address),
        clusterName: 'etcd-api',
        controlPlaneEndpoint: 'https://127.0.0.1:6443',
        hostname: address,
        caCrtPem: ca.crt,
        caKeyPem: ca.key,
        token: '3b9kzq.8vm2d5p1xq7ua0cf',
      });
      servers.push(
        await AgentServer.start({
          address,
          port,
          serverCert: serving.crt,
          serverKey: serving.key.replace(/(BEGIN|END) ED25519 PRIVATE KEY/g, '$1 PRIVATE KEY'),
          clientCAs: ca.crt,
          forwarding: {ca: ca.crt, cert: forwarding.crt, key: forwarding.key.replace(/(BEGIN|END) ED25519 PRIVATE KEY/g, '$1 PRIVATE KEY')},
          store: new ResourceStore(),
          build,
          machineConfig: () => config,
          log,
          etcd: accessFor(address),
        }),
      );
    }
  } catch (error) {
    for (const server of servers) await server.stop();
    throw error;
  }
  const b64 = (text) => Buffer.from(text).toString('base64');
  const talosconfigFor = (name, cert) => {
    const file = path.join(root, `talosconfig-${name}`);
    fs.writeFileSync(
      file,
      `context: etcd-api\ncontexts:\n  etcd-api:\n    endpoints: ["${addresses[0]}:${port}"]\n    nodes: ["${addresses[0]}"]\n    ca: ${b64(ca.crt)}\n    crt: ${b64(cert.crt)}\n    key: ${b64(cert.key)}\n`,
    );
    return file;
  };
  return {
    ca,
    admin,
    port,
    talosconfig: talosconfigFor('admin', admin),
    readerTalosconfig: talosconfigFor('reader', reader),
    async stop() {
      for (const server of servers) await server.stop();
    },
  };
}
