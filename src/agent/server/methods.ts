// Locally handled methods. Every method is registered with Buffer (identity) serializers so
// forwarding never decodes; a local handler decodes its request and encodes its responses here.
import type {Caller} from './auth.js';
import type {ResponseStream} from './stream-sink.js';

export interface CallContext {
  caller: Caller;
  /** Aborted when the client cancels or the deadline passes (for a stream: whenever the call ends). */
  signal: AbortSignal;
}

export type LocalMethod =
  | {kind: 'unary'; handle: (request: Buffer, context: CallContext) => Promise<Buffer>}
  | {
      kind: 'clientStream';
      /** `requests` yields the client's messages with flow control; resolves with the one response. */
      handle: (requests: AsyncIterable<Buffer>, context: CallContext) => Promise<Buffer>;
    }
  | {
      kind: 'serverStream';
      /** Resolves when the stream is complete. */
      handle: (request: Buffer, context: CallContext, stream: ResponseStream<Buffer>) => Promise<void>;
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
  handler: (request: Request, context: CallContext, stream: ResponseStream<Response>) => Promise<void>,
): [string, LocalMethod] {
  return [
    definition.path,
    {
      kind: 'serverStream',
      handle: async (request, context, stream) =>
        handler(definition.requestDeserialize(request), context, encodingStream(stream, definition.responseSerialize)),
    },
  ];
}

export function clientStreamMethod<Request, Response>(
  definition: MethodDefinition<Request, Response>,
  handler: (requests: AsyncIterable<Request>, context: CallContext) => Promise<Response>,
): [string, LocalMethod] {
  return [
    definition.path,
    {
      kind: 'clientStream',
      handle: async (requests, context) =>
        definition.responseSerialize(
          await handler(
            (async function* () {
              for await (const request of requests) yield definition.requestDeserialize(request);
            })(),
            context,
          ),
        ),
    },
  ];
}

/** The typed view of a stream of encoded messages; lazy messages are encoded only when sent. */
function encodingStream<Message>(stream: ResponseStream<Buffer>, encode: (message: Message) => Buffer): ResponseStream<Message> {
  return {
    send: (message) => stream.send(encode(message)),
    sendLazily: (messages) =>
      stream.sendLazily({
        *[Symbol.iterator]() {
          for (const message of messages) yield encode(message);
        },
      }),
    describeOverrun: ({subject, lastMessage}) =>
      stream.describeOverrun({
        subject,
        lastMessage:
          lastMessage &&
          ((reason) => {
            const message = lastMessage(reason);
            return message === undefined ? undefined : encode(message);
          }),
      }),
  };
}
