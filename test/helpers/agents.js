// In-process osd agents for gRPC tests: state dirs laid out as `osctl cluster create` prepares
// them, a port free on every address the test uses, and client credentials.
import * as fs from 'node:fs';
import {createServer} from 'node:net';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {newMachineConfig} from '../../dist/machinery/machineconfig/index.js';
import {issueClientCert, issueServerCert} from '../../dist/machinery/pki.js';

export const DAY = 24 * 3600 * 1000;

/** A port free on all `addresses` (agents of one cluster share the port: forwarding dials the agent's own). */
export async function freePort(addresses) {
  for (;;) {
    const port = await listenOnce(addresses[0], 0);
    let free = true;
    for (const address of addresses.slice(1)) free &&= (await listenOnce(address, port).catch(() => undefined)) === port;
    if (free) return port;
  }
}

function listenOnce(address, port) {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(port, address, () => {
      const bound = server.address().port;
      server.close(() => resolve(bound));
    });
    server.on('error', reject);
  });
}

/** A node's state dir: machine config, server certificate for `address`, forwarding client certificate. */
export async function makeStateDir(root, {name, address, type, ca, cluster}) {
  const dir = path.join(root, name);
  for (const sub of ['etc', 'var/log', 'system/state', 'system/secrets']) fs.mkdirSync(path.join(dir, sub), {recursive: true});
  const config = newMachineConfig({
    type,
    clusterName: cluster,
    controlPlaneEndpoint: 'https://127.0.0.1:6443',
    hostname: name,
    caCrtPem: ca.crt,
    caKeyPem: type === 'worker' ? undefined : ca.key,
    token: '3b9kzq.8vm2d5p1xq7ua0cf',
  });
  fs.writeFileSync(path.join(dir, 'system/state/config.yaml'), config.raw);
  const server = await issueServerCert(ca, {ips: [address], dnsNames: [name], commonName: name, ttlMs: DAY});
  const forwarding = await issueClientCert(ca, {roles: ['os:impersonator'], ttlMs: DAY});
  const secrets = path.join(dir, 'system/secrets');
  fs.writeFileSync(path.join(secrets, 'api.crt'), server.crt);
  fs.writeFileSync(path.join(secrets, 'api.key'), server.key);
  fs.writeFileSync(path.join(secrets, 'apid-client.crt'), forwarding.crt);
  fs.writeFileSync(path.join(secrets, 'apid-client.key'), forwarding.key);
  return dir;
}

/** Node's TLS reads PKCS#8 Ed25519 keys only under the plain label. */
export function normalizeKey(pem) {
  return pem.replace(/(BEGIN|END) ED25519 PRIVATE KEY/g, '$1 PRIVATE KEY');
}

export function clientCredentials(ca, client) {
  return grpc.credentials.createSsl(Buffer.from(ca.crt), Buffer.from(normalizeKey(client.key)), Buffer.from(client.crt));
}

export function metadataOf(entries = {}) {
  const metadata = new grpc.Metadata();
  for (const [key, values] of Object.entries(entries)) for (const value of [values].flat()) metadata.add(key, value);
  return metadata;
}
