// apid's deprecated one-to-many mode (`nodes` metadata, talos-api.md §4.3), which talosctl v1.13
// and earlier use for every MachineService call: the call goes to every listed node, and their
// answers are merged into one response with `metadata.hostname` naming the node. A node's failure
// becomes a message carrying `metadata.error` and `metadata.status`; the call itself succeeds.
import * as grpc from '@grpc/grpc-js';
import {Empty, EmptyResponse, type Metadata as NodeMetadata} from '../../machinery/api/common/common.js';
import {relayWithBackpressure, type Downstream, type RequestSink} from './downstream.js';
import {appendToElements, EnvelopeError} from './envelope.js';
import type {ForwardTarget, Forwarder, Upstream} from './forward.js';
import {goErrorText} from '../../machinery/rpc-status.js';
import {boundDetails, statusOf} from './rpc-error.js';

/** The services whose methods apid fans out; any other method (COSI included) is refused. */
const ONE_TO_MANY_SERVICES = ['machine.MachineService', 'cluster.ClusterService', 'inspect.InspectService', 'storage.StorageService', 'time.TimeService'];

/** Methods whose responses apid relays message by message instead of merging into one (apid's list, plus the `…Stream` convention). */
const STREAMED_METHODS: ReadonlySet<string> = new Set([
  '/machine.MachineService/Copy',
  '/machine.MachineService/DiskUsage',
  '/machine.MachineService/Dmesg',
  '/machine.MachineService/EtcdSnapshot',
  '/machine.MachineService/Events',
  '/machine.MachineService/ImageList',
  '/machine.MachineService/Kubeconfig',
  '/machine.MachineService/List',
  '/machine.MachineService/DebugContainer',
  '/machine.MachineService/Logs',
  '/machine.MachineService/PacketCapture',
  '/machine.MachineService/Read',
  '/cluster.ClusterService/HealthCheck',
]);

export function allowsOneToMany(path: string): boolean {
  return ONE_TO_MANY_SERVICES.some((service) => path.startsWith(`/${service}/`));
}

function isStreamed(path: string): boolean {
  return STREAMED_METHODS.has(path) || path.endsWith('Stream');
}

/**
 * Sends the call to every target (the endpoint itself included: like apid, it reaches itself
 * through one hop, which then handles the call locally) and merges what they answer.
 */
export function fanOut(forwarder: Forwarder, downstream: Downstream, targets: readonly ForwardTarget[], roles: readonly string[]): void {
  const upstreams: Upstream[] = [];
  const flow = {
    pause: () => upstreams.forEach((upstream) => upstream.pause()),
    resume: () => upstreams.forEach((upstream) => upstream.resume()),
  };
  const streamed = isStreamed(downstream.path);
  const merge = streamed ? streamedMerge(downstream, targets.length, flow) : unaryMerge(downstream, targets.length);
  targets.forEach((target, index) => {
    const node = target.node;
    const metadataField = Empty.encode({metadata: {hostname: node, error: ''}}).finish();
    let received = 0;
    let malformed: {code: grpc.status; details: string} | undefined;
    const upstream = forwarder.open(downstream, target, roles, {
      message: (message) => {
        received++;
        if (malformed !== undefined) return;
        try {
          merge.message(index, message, metadataField);
        } catch (error) {
          if (!(error instanceof EnvelopeError)) throw error;
          malformed = {code: grpc.status.INTERNAL, details: `node ${node} answered ${downstream.path} without a response envelope: ${error.message}`};
          upstream.cancel();
        }
      },
      done: (error, trailers) => {
        // A node must not vanish from a merged answer: one that answered nothing is reported.
        const silent = !streamed && error === undefined && received === 0 ? {code: grpc.status.INTERNAL, details: `node ${node} answered ${downstream.path} with no message`} : undefined;
        const failure = malformed ?? error ?? silent;
        merge.done(index, failure === undefined ? undefined : errorMetadata(node, failure), trailers);
      },
    });
    upstreams.push(upstream);
  });
  downstream.onCancelled(() => upstreams.forEach((upstream) => upstream.cancel()));
  downstream.pipeRequests(broadcast(upstreams));
}

interface Merge {
  message(index: number, message: Buffer, metadataField: Uint8Array): void;
  /** `failure`: the node's error as the metadata of its message. */
  done(index: number, failure: NodeMetadata | undefined, trailers: grpc.Metadata): void;
}

/** Unary methods: every node's envelope gets its hostname, and the envelopes are concatenated in the order of the node list. */
function unaryMerge(downstream: Downstream, count: number): Merge {
  const parts: Uint8Array[][] = Array.from({length: count}, () => []);
  const finished = new Set<number>();
  const trailers = new grpc.Metadata();
  return {
    message: (index, message, metadataField) => {
      parts[index].push(appendToElements(message, metadataField));
    },
    done: (index, failure, nodeTrailers) => {
      if (failure !== undefined) parts[index] = [EmptyResponse.encode({messages: [{metadata: failure}]}).finish()];
      trailers.merge(nodeTrailers);
      finished.add(index);
      if (finished.size < count) return;
      downstream.send(Buffer.concat(parts.flat()));
      downstream.finish(trailers);
    },
  };
}

/** Streaming methods: messages are relayed as they come, each with its node's hostname; a node's failure is one more message. */
function streamedMerge(downstream: Downstream, count: number, flow: {pause(): void; resume(): void}): Merge {
  const finished = new Set<number>();
  const trailers = new grpc.Metadata();
  // A slow client holds back every node rather than letting osd queue their messages.
  const send = relayWithBackpressure({write: (message) => downstream.send(message), onceDrain: (listener) => downstream.onceDrain(listener)}, flow);
  return {
    message: (_index, message, metadataField) => send(Buffer.concat([message, metadataField])),
    done: (index, failure, nodeTrailers) => {
      if (failure !== undefined) send(Buffer.from(Empty.encode({metadata: failure}).finish()));
      trailers.merge(nodeTrailers);
      finished.add(index);
      if (finished.size === count) downstream.finish(trailers);
    },
  };
}

/** `common.Metadata` of a failed node, as apid builds it: Go's error text and the status. */
function errorMetadata(node: string, error: unknown): NodeMetadata {
  const {code, details} = statusOf(error);
  const bounded = boundDetails(details);
  return {hostname: node, error: goErrorText(code, bounded), status: {code, message: bounded, details: []}};
}

/** Every request message goes to every node; the client is held back until all of them took it. */
function broadcast(upstreams: readonly Upstream[]): RequestSink {
  let full: Upstream[] = [];
  return {
    write: (message) => {
      full = upstreams.filter((upstream) => !upstream.write(message));
      return full.length === 0;
    },
    end: () => upstreams.forEach((upstream) => upstream.end()),
    onceDrain: (listener) => {
      let pending = full.length;
      for (const upstream of full) upstream.onceDrain(() => --pending === 0 && listener());
    },
  };
}
