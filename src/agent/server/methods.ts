// Locally handled methods. Every method is registered with Buffer (identity) serializers so
// forwarding never decodes; a local handler decodes its request and encodes its responses here.
import type {Caller} from './auth.js';

export interface CallContext {
  caller: Caller;
  /** Aborted when the client cancels or the deadline passes. */
  signal: AbortSignal;
}

export type LocalMethod =
  | {kind: 'unary'; handle: (request: Buffer, context: CallContext) => Promise<Buffer>}
  | {
      kind: 'serverStream';
      /** Resolves when the stream is complete. */
      handle: (request: Buffer, context: CallContext, send: (message: Buffer) => void) => Promise<void>;
    };

/** The generated (ts-proto grpc-js) description of one method. */
interface MethodDefinition<Request, Response> {
  path: string;
  requestDeserialize: (value: Buffer) => Request;
  responseSerialize: (value: Response) => Buffer;
}

export function unaryMethod<Request, Response>(
  definition: MethodDefinition<Request, Response>,
  handler: (request: Request, context: CallContext) => Response | Promise<Response>,
): [string, LocalMethod] {
  return [
    definition.path,
    {
      kind: 'unary',
      handle: async (request, context) =>
        definition.responseSerialize(await handler(definition.requestDeserialize(request), context)),
    },
  ];
}

export function serverStreamMethod<Request, Response>(
  definition: MethodDefinition<Request, Response>,
  handler: (request: Request, context: CallContext, send: (message: Response) => void) => Promise<void>,
): [string, LocalMethod] {
  return [
    definition.path,
    {
      kind: 'serverStream',
      handle: async (request, context, send) =>
        handler(definition.requestDeserialize(request), context, (message) => send(definition.responseSerialize(message))),
    },
  ];
}
