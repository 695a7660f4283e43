// A gRPC status as an exception, so handlers can throw and the dispatcher reports it; and the one
// place where a status is shaped for leaving osd.
import {Metadata, status, type ServerErrorResponse} from '@grpc/grpc-js';

export class RpcError extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(details);
  }
}

/**
 * Error details travel in the `grpc-message` trailer, percent-encoded (up to 9 bytes per
 * character). A text echoing a huge request would exceed the peer's header-list limit, so the
 * status never arrives and the HTTP/2 connection is torn down with every call on it.
 */
export const MAX_ERROR_DETAILS_BYTES = 4096;

/** Any thrown value (or a status relayed from another node) as the status to send; unexpected errors become INTERNAL. */
export function toServerError(error: unknown): ServerErrorResponse {
  const {code, details} = statusOf(error);
  const bounded = boundDetails(details);
  const metadata = (error as {metadata?: unknown}).metadata;
  return Object.assign(new Error(bounded), {code, details: bounded, ...(metadata instanceof Metadata ? {metadata} : {})});
}

/** The code and text of any thrown value. */
export function statusOf(error: unknown): {code: status; details: string} {
  if (error instanceof RpcError) return {code: error.code, details: error.details};
  const candidate = error as {code?: unknown; details?: unknown};
  if (typeof candidate?.code === 'number' && typeof candidate.details === 'string') return {code: candidate.code, details: candidate.details};
  return {code: status.INTERNAL, details: error instanceof Error ? error.message : String(error)};
}

/** `text` cut to MAX_ERROR_DETAILS_BYTES of UTF-8 (never inside a character), marked with an ellipsis and the size cut. */
export function boundDetails(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= MAX_ERROR_DETAILS_BYTES) return text;
  const marker = `… (${bytes.length} bytes, truncated)`;
  let end = MAX_ERROR_DETAILS_BYTES - Buffer.byteLength(marker);
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--; // back to the start of a UTF-8 character
  return bytes.subarray(0, end).toString('utf8') + marker;
}
