// The gRPC server: mTLS, caller roles, authorization, then local handling, one-to-one forwarding
// or one-to-many fan-out. Every method is registered with Buffer serializers so that forwarded
// frames are never decoded, and methods osd does not know are routed too (as apid does), so a
// node that implements them can answer.
import * as grpc from '@grpc/grpc-js';
import {MachineServiceService} from '../../machinery/api/machine/machine.js';
import {StateService} from '../../machinery/api/v1alpha1/state.js';
import {TimeServiceService} from '../../machinery/api/time/time.js';
import type {NodeInside} from '../inside/node-inside.js';
import {insideMethods} from './inside-methods.js';
import type {EtcdAccess} from '../etcd/access.js';
import {etcdMethods} from './etcd-methods.js';
import {bootstrapMethods, type BootstrapAccess} from './bootstrap-methods.js';
import {lifecycleMethods, type LifecycleMethodsContext} from './lifecycle-methods.js';
import type {Logger} from '../log.js';
import {authenticate, type Caller} from './auth.js';
import {Downstream, methodKind, type AnyServerCall, type MethodKind} from './downstream.js';
import {DEFAULT_FORWARDING_LIMITS, Forwarder, MAX_MESSAGE_BYTES, type ForwardingLimits} from './forward.js';
import {containerMethods, type ContainerMethodsContext} from './container-methods.js';
import {machineMethods, notImplemented, type MachineServiceContext} from './machine-service.js';
import type {LocalMethod} from './methods.js';
import {fanOut} from './one-to-many.js';
import {isAuthorized} from './roles.js';
import {dialAddress, Router, type Route} from './router.js';
import {RpcError, toServerError} from './rpc-error.js';
import {stateMethods} from './state-service.js';
import {logMethods, type ContainerLogs} from './log-methods.js';
import {eventMethods} from './event-methods.js';
import type {RuntimeEvents} from '../events/runtime-events.js';
import {serviceMethods} from './service-methods.js';
import type {ServiceLogs} from '../logs/service-logs.js';
import type {Supervisor} from '../system/supervisor.js';
import {StreamSink} from './stream-sink.js';

export interface AgentServerOptions extends MachineServiceContext {
  address: string;
  port: number;
  /** This node's server certificate and key (PEM). */
  serverCert: string;
  serverKey: string;
  /** The CAs whose client certificates are accepted (PEM bundle). */
  clientCAs: string;
  /** Used to forward calls: the cluster CA that signed the other nodes' server certificates, and this node's os:impersonator client certificate. */
  forwarding: {ca: string; cert: string; key: string};
  /** How long forwarded calls may wait for another node (defaults: DEFAULT_FORWARDING_LIMITS). */
  forwardingLimits?: ForwardingLimits;
  /** The service API and logs (without them those methods answer Unimplemented). */
  services?: {supervisor: Supervisor; serviceLogs: ServiceLogs; events: RuntimeEvents; containerLogs?: ContainerLogs};
  log: Logger;
  /** Containers and Restart (answered Unimplemented without it). */
  containers?: ContainerMethodsContext;
  /** Files, readouts, META and time (answered Unimplemented without it). */
  inside?: NodeInside;
  /** The etcd methods (answered Unimplemented without it). */
  etcd?: EtcdAccess;
  /** Bootstrap and EtcdRecover (answered Unimplemented without it). */
  bootstrap?: BootstrapAccess;
  /** Reboot, Reset and Shutdown (answered Unimplemented without it). */
  lifecycle?: LifecycleMethodsContext;
}

/** The services whose method kinds osd knows; any other path is handled as a bidirectional stream. */
const SERVICES: ReadonlyArray<Record<string, {path: string; requestStream: boolean; responseStream: boolean}>> = [
  MachineServiceService,
  StateService,
  TimeServiceService,
];

const identity = (value: Buffer): Buffer => value;

export class AgentServer {
  private markStopped!: () => void;
  /** Resolves when the server stops listening (the `apid` service ends with it). */
  readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));

  private constructor(
    private readonly server: grpc.Server,
    private readonly forwarder: Forwarder,
    /** The port actually bound (useful when 0 was asked for). */
    readonly port: number,
  ) {}

  static async start(options: AgentServerOptions): Promise<AgentServer> {
    const server = new grpc.Server({
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
    const forwarder = new Forwarder(options.forwarding, options.log, options.forwardingLimits ?? DEFAULT_FORWARDING_LIMITS);
    const router = new Router({address: options.address, port: options.port, store: options.store});
    const services = options.services;
    const local = new Map<string, LocalMethod>([
      ...machineMethods(options),
      ...stateMethods(options.store),
      ...(services === undefined
        ? []
        : [
            ...serviceMethods(services.supervisor),
            ...logMethods(services.serviceLogs, services.containerLogs),
            ...eventMethods(services.events),
          ]),
      ...(options.containers === undefined ? [] : containerMethods(options.containers)),
      ...(options.inside === undefined ? [] : insideMethods(options.inside)),
      ...(options.etcd === undefined ? [] : etcdMethods(options.etcd)),
      ...(options.bootstrap === undefined
        ? []
        : bootstrapMethods(options.bootstrap, {actionPending: () => options.lifecycle?.control.inProgress() !== undefined})),
      ...(options.lifecycle === undefined ? [] : lifecycleMethods(options.lifecycle, options.etcd)),
    ]);

    const dispatcher = (kind: MethodKind) => (call: AnyServerCall, callback?: grpc.sendUnaryData<Buffer>): void => {
      const path = call.getPath();
      let caller: Caller;
      let route: Route;
      try {
        caller = authenticate(call);
        if (!isAuthorized(path, caller.roles)) throw new RpcError(grpc.status.PERMISSION_DENIED, 'not authorized');
        route = router.route(call.metadata, path);
      } catch (error) {
        fail(kind, call, callback, error, options.log);
        return;
      }
      switch (route.kind) {
        case 'local':
          handleLocally(kind, call, callback, local.get(path), caller, options.log);
          return;
        case 'one':
          forwarder.forward(new Downstream(kind, call, callback), route.target, caller.roles);
          return;
        case 'many':
          fanOut(forwarder, new Downstream(kind, call, callback), route.targets, caller.roles);
          return;
      }
    };
    for (const service of SERVICES) {
      for (const method of Object.values(service)) {
        const kind = methodKind(method);
        server.register(method.path, dispatcher(kind) as grpc.UntypedHandleCall, identity, identity, kind);
      }
    }
    routeUnknownMethods(server, dispatcher('bidi'));

    const credentials = grpc.ServerCredentials.createSsl(
      Buffer.from(options.clientCAs),
      [{cert_chain: Buffer.from(options.serverCert), private_key: Buffer.from(options.serverKey)}],
      true,
    );
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(dialAddress(options.address, options.port), credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
    });
    return new AgentServer(server, forwarder, port);
  }

  /** Stops accepting calls; open streams (watches) get `graceMs` to finish, then are cut. */
  async stop(graceMs = 2000): Promise<void> {
    const force = setTimeout(() => this.server.forceShutdown(), graceMs);
    this.markStopped();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    clearTimeout(force);
    this.forwarder.close();
  }
}

function handleLocally(
  kind: MethodKind,
  call: AnyServerCall,
  callback: grpc.sendUnaryData<Buffer> | undefined,
  method: LocalMethod | undefined,
  caller: Caller,
  log: Logger,
): void {
  if (method === undefined || method.kind !== kind) {
    fail(kind, call, callback, notImplemented(call.getPath()), log);
    return;
  }
  const abort = new AbortController();
  (call as grpc.ServerUnaryCall<Buffer, Buffer>).on('cancelled', () => abort.abort());
  const context = {caller, signal: abort.signal};

  if (method.kind === 'clientStream') {
    // A readable stream's async iterator reads one message at a time: the client waits while the handler works.
    const requests = call as grpc.ServerReadableStream<Buffer, Buffer>;
    method.handle(requests, context).then(
      (response) => callback?.(null, response),
      (error: unknown) => fail(kind, call, callback, error, log),
    );
    return;
  }
  if (method.kind === 'unary') {
    const unary = call as grpc.ServerUnaryCall<Buffer, Buffer>;
    method.handle(unary.request, context).then(
      (response) => callback?.(null, response),
      (error: unknown) => fail(kind, call, callback, error, log),
    );
    return;
  }
  // Every local server stream writes through a bounded, backpressure-aware sink.
  const stream = call as grpc.ServerWritableStream<Buffer, Buffer>;
  const sink = new StreamSink(stream, call.getPath());
  method.handle(stream.request, {...context, signal: sink.signal}, sink).then(
    () => sink.end(),
    (error: unknown) => sink.end(reported(call, error, log)),
  );
}

function fail(
  kind: MethodKind,
  call: AnyServerCall,
  callback: grpc.sendUnaryData<Buffer> | undefined,
  error: unknown,
  log: Logger,
): void {
  const serverError = new Downstream(kind, call, callback).fail(error);
  if (serverError.code === grpc.status.INTERNAL) log.error(`${call.getPath()} failed: ${serverError.details}`);
}

/**
 * Hands every path without a registered handler to `handle`, as a bidirectional stream (the one
 * kind whose frames fit any method). grpc-js, unlike grpc-go (apid's UnknownServiceHandler), has
 * no hook for unknown methods and answers them Unimplemented itself; its handler table is a Map
 * it consults with `get(path)` for each call, so the fallback goes there. @grpc/grpc-js is pinned
 * to an exact version, and test/agent-routing.test.js shows the routing works.
 */
export function routeUnknownMethods(server: grpc.Server, handle: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => void): void {
  const table: unknown = (server as unknown as {handlers?: unknown}).handlers;
  if (!(table instanceof Map)) throw new Error('this @grpc/grpc-js version keeps no handler table osd can extend: unknown methods cannot be routed');
  const registered = table.get.bind(table) as (path: string) => unknown;
  table.get = (path: string) => registered(path) ?? {func: handle, serialize: identity, deserialize: identity, type: 'bidi', path};
}

/** The status for a thrown value; unexpected failures are logged. */
function reported(call: AnyServerCall, error: unknown, log: Logger): grpc.ServerErrorResponse {
  const serverError = toServerError(error);
  if (serverError.code === grpc.status.INTERNAL) log.error(`${call.getPath()} failed: ${serverError.details}`);
  return serverError;
}
