// A gRPC status as an exception, so handlers can throw and the dispatcher reports it.
import {status, type ServerErrorResponse} from '@grpc/grpc-js';

export class RpcError extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(details);
  }
}

/** Any thrown value as the status to send; unexpected errors become INTERNAL with their message. */
export function toServerError(error: unknown): ServerErrorResponse {
  if (error instanceof RpcError) return Object.assign(new Error(error.details), {code: error.code, details: error.details});
  const message = error instanceof Error ? error.message : String(error);
  return Object.assign(new Error(message), {code: status.INTERNAL, details: message});
}
