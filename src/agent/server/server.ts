// The gRPC server: mTLS, caller roles, authorization, then either local handling or
// one-to-one forwarding to another node. Every method is registered with Buffer serializers so
// that forwarded frames are never decoded.
import * as grpc from '@grpc/grpc-js';
import {MachineServiceService} from '../../machinery/api/machine/machine.js';
import {StateService} from '../../machinery/api/v1alpha1/state.js';
import type {Logger} from '../log.js';
import {authenticate, type Caller} from './auth.js';
import {Forwarder, MAX_MESSAGE_BYTES, onCancelled, type AnyServerCall, type MethodKind} from './forward.js';
import {machineMethods, notImplemented, type MachineServiceContext} from './machine-service.js';
import type {LocalMethod} from './methods.js';
import {isAuthorized} from './roles.js';
import {Router, type Route} from './router.js';
import {RpcError, toServerError} from './rpc-error.js';
import {stateMethods} from './state-service.js';

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
  log: Logger;
}

/** The services osd registers; each method of them is reachable locally or through forwarding. */
const SERVICES: ReadonlyArray<Record<string, {path: string; requestStream: boolean; responseStream: boolean}>> = [
  MachineServiceService,
  StateService,
];

const identity = (value: Buffer): Buffer => value;

export class AgentServer {
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
    const forwarder = new Forwarder(options.forwarding, options.log);
    const router = new Router({address: options.address, port: options.port, store: options.store});
    const local = new Map<string, LocalMethod>([...machineMethods(options), ...stateMethods(options.store)]);

    for (const service of SERVICES) {
      for (const method of Object.values(service)) {
        const kind: MethodKind = method.requestStream
          ? method.responseStream ? 'bidi' : 'clientStream'
          : method.responseStream ? 'serverStream' : 'unary';
        const handler = (call: AnyServerCall, callback?: grpc.sendUnaryData<Buffer>): void => {
          let caller: Caller;
          let route: Route;
          try {
            caller = authenticate(call);
            if (!isAuthorized(method.path, caller.roles)) throw new RpcError(grpc.status.PERMISSION_DENIED, 'not authorized');
            route = router.route(call.metadata);
          } catch (error) {
            fail(kind, call, callback, error, options.log);
            return;
          }
          if (route.local) handleLocally(kind, call, callback, local.get(method.path), caller, options.log);
          else forwarder.forward(kind, call, callback, route.target, caller.roles);
        };
        server.register(method.path, handler as grpc.UntypedHandleCall, identity, identity, kind);
      }
    }

    const credentials = grpc.ServerCredentials.createSsl(
      Buffer.from(options.clientCAs),
      [{cert_chain: Buffer.from(options.serverCert), private_key: Buffer.from(options.serverKey)}],
      true,
    );
    const host = options.address.includes(':') ? `[${options.address}]` : options.address;
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${options.port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
    });
    return new AgentServer(server, forwarder, port);
  }

  /** Stops accepting calls; open streams (watches) get `graceMs` to finish, then are cut. */
  async stop(graceMs = 2000): Promise<void> {
    const force = setTimeout(() => this.server.forceShutdown(), graceMs);
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
  onCancelled(call, () => abort.abort());
  const context = {caller, signal: abort.signal};

  if (method.kind === 'unary') {
    const unary = call as grpc.ServerUnaryCall<Buffer, Buffer>;
    method.handle(unary.request, context).then(
      (response) => callback?.(null, response),
      (error: unknown) => fail(kind, call, callback, error, log),
    );
    return;
  }
  const stream = call as grpc.ServerWritableStream<Buffer, Buffer>;
  const send = (message: Buffer): void => {
    if (!stream.cancelled) stream.write(message);
  };
  method.handle(stream.request, context, send).then(
    () => stream.end(),
    (error: unknown) => fail(kind, call, callback, error, log),
  );
}

function fail(
  kind: MethodKind,
  call: AnyServerCall,
  callback: grpc.sendUnaryData<Buffer> | undefined,
  error: unknown,
  log: Logger,
): void {
  const serverError = toServerError(error);
  if (serverError.code === grpc.status.INTERNAL) log.error(`${call.getPath()} failed: ${serverError.details}`);
  if (kind === 'unary' || kind === 'clientStream') callback?.(serverError);
  else (call as grpc.ServerWritableStream<Buffer, Buffer>).emit('error', serverError);
}
