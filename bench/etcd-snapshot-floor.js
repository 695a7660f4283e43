// The floor for `osctl etcd snapshot` (issue 8): the least a Node program does to receive the
// same stream through osd — grpc-js, one mTLS connection, the EtcdSnapshot call with an identity
// deserializer (each message's bytes as grpc-js hands them over, not decoded), each written to
// the file as it comes. What osctl costs above this is osctl's; what this costs above etcdctl is
// grpc-js's (HTTP/2, TLS, message reassembly) and node's start-up.
// Usage: TALOSCONFIG=… node bench/etcd-snapshot-floor.js <endpoint> <node> <file>
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as yaml from 'js-yaml';
import {EtcdSnapshotRequest, MachineServiceService} from '../dist/machinery/api/machine/machine.js';

process.noDeprecation = true;
const [endpoint, node, file] = process.argv.slice(2);
const config = yaml.load(fs.readFileSync(process.env.TALOSCONFIG, 'utf8'));
const context = config.contexts[config.context];
const pem = (field) => Buffer.from(Buffer.from(context[field], 'base64').toString().replace(/ED25519 PRIVATE KEY/g, 'PRIVATE KEY'));
// the same 1 MiB HTTP/2 receive window as osctl's channel
const client = new grpc.Client(`${endpoint}:50000`, grpc.credentials.createSsl(pem('ca'), pem('key'), pem('crt')),
  {'grpc-node.flow_control_window': 1 << 20});
const metadata = new grpc.Metadata();
metadata.set('node', node);
const call = client.makeServerStreamRequest(
  MachineServiceService.etcdSnapshot.path, (value) => Buffer.from(EtcdSnapshotRequest.encode(value).finish()), (bytes) => bytes,
  {}, metadata, {},
);
const fd = fs.openSync(file, 'w');
let size = 0;
for await (const message of call) {
  fs.writeSync(fd, message);
  size += message.length;
}
fs.fsyncSync(fd);
fs.closeSync(fd);
client.close();
process.stdout.write(`${size}\n`);
