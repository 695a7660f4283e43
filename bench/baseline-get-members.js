// Baseline for `osctl get members`: the least a Node program must do for the same answer —
// load grpc-js and the generated codec, one mTLS connection, one COSI List call, print ids.
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as yaml from 'js-yaml';
import {ListRequest, StateService} from '../dist/machinery/api/v1alpha1/state.js';

process.noDeprecation = true;
const config = yaml.load(fs.readFileSync(process.env.TALOSCONFIG, 'utf8'));
const context = config.contexts[config.context];
const pem = (field) => Buffer.from(Buffer.from(context[field], 'base64').toString().replace(/ED25519 PRIVATE KEY/g, 'PRIVATE KEY'));
const client = new grpc.Client(`${context.endpoints[0]}:50000`, grpc.credentials.createSsl(pem('ca'), pem('key'), pem('crt')));
const metadata = new grpc.Metadata();
metadata.set('node', process.argv[2]);
const call = client.makeServerStreamRequest(
  StateService.list.path, StateService.list.requestSerialize, StateService.list.responseDeserialize,
  ListRequest.fromPartial({namespace: 'cluster', type: 'Members.cluster.talos.dev'}), metadata, {},
);
for await (const response of call) process.stdout.write(`${response.resource.metadata.id}\n`);
client.close();
