// Turning failures into sentences that say what went wrong, where, and what to do.
// Kept free of grpc-js imports (status codes are plain numbers) so the CLI can load it at start-up.

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_PARTIAL = 3;

/** An error meant for the user: its message is printed as is, with optional hints. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_FAILURE, readonly hints: string[] = []) {
    super(message);
  }
}

/** gRPC status codes we map (numbers from the gRPC spec). */
export const Status = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const CODE_NAMES: Record<number, string> = {
  0: 'OK', 1: 'Canceled', 2: 'Unknown', 3: 'InvalidArgument', 4: 'DeadlineExceeded', 5: 'NotFound',
  6: 'AlreadyExists', 7: 'PermissionDenied', 8: 'ResourceExhausted', 9: 'FailedPrecondition', 10: 'Aborted',
  11: 'OutOfRange', 12: 'Unimplemented', 13: 'Internal', 14: 'Unavailable', 15: 'DataLoss', 16: 'Unauthenticated',
};

/** Where a call went: enough to name the talosconfig, context, endpoint and node in an error. */
export interface CallSite {
  configPath: string;
  contextName: string;
  endpoint: string;
  node?: string;
  timeoutMs?: number;
}

/** The shape of a grpc-js ServiceError, without importing grpc-js. */
export interface RpcErrorLike {
  code: number;
  details: string;
}

export function isRpcError(err: unknown): err is RpcErrorLike {
  return typeof err === 'object' && err !== null && typeof (err as RpcErrorLike).code === 'number' && typeof (err as RpcErrorLike).details === 'string';
}

/** The Go client's error text, which scripts written for talosctl match on. */
export function rpcErrorText(err: RpcErrorLike): string {
  return `rpc error: code = ${CODE_NAMES[err.code] ?? err.code} desc = ${err.details}`;
}

const TLS_FAILURE = /certificate|self[- ]signed|unknown ca|alert|handshake|SSL|TLS/i;
const REFUSED = /ECONNREFUSED|connection refused|No connection established|connect E|EHOSTUNREACH|ENETUNREACH/i;

/** Explains an RPC failure as a sentence naming the talosconfig, context, endpoint and node involved. */
export function explainRpcError(err: RpcErrorLike, site: CallSite): string {
  const where = `context "${site.contextName}" in ${site.configPath}`;
  const target = site.node ? `node ${site.node} via endpoint ${site.endpoint}` : `endpoint ${site.endpoint}`;
  switch (err.code) {
    case Status.UNAVAILABLE:
      if (TLS_FAILURE.test(err.details)) {
        return `TLS handshake with ${site.endpoint} failed (${err.details}): the endpoint's certificate or yours is not trusted. ` +
          `Check that ${where} belongs to this cluster (a talosconfig from another cluster is the usual cause).`;
      }
      if (site.node && !REFUSED.test(err.details)) {
        return `node ${site.node} is unreachable through endpoint ${site.endpoint}: ${err.details}. Check the node address (-n) and that its agent is running.`;
      }
      return `cannot reach ${target}: ${err.details}. Check that the agent is running and that the endpoint in ${where} (or -e) is right.`;
    case Status.PERMISSION_DENIED:
      return `${target} refused the call: ${err.details}. The client certificate of ${where} lacks the role this needs; ` +
        'use an os:admin talosconfig, or ask an admin for one (`osctl config new --roles ...`).';
    case Status.UNAUTHENTICATED:
      return `${target} did not accept the client certificate of ${where}: ${err.details}.`;
    case Status.DEADLINE_EXCEEDED:
      return `${target} did not answer within ${site.timeoutMs ? `${site.timeoutMs / 1000}s` : 'the deadline'}; retry with a larger --timeout, or check the node.`;
    case Status.CANCELLED:
      return 'canceled';
    default:
      return rpcErrorText(err);
  }
}
