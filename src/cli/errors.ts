// Turning failures into sentences that say what went wrong, where, and what to do.
// Kept free of grpc-js and node:crypto imports (status codes are plain numbers, certificate facts come
// precomputed) so the CLI can load it at start-up.
import {formatDuration} from './duration.js';

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

/** What the talosconfig's client certificate says, for explaining a refusal (computed where credentials are checked). */
export interface ClientCertificateFacts {
  /** the Subject Organization values: the caller's Talos roles (a function: reading them costs ~20 ms, and only a refusal needs them) */
  roles: () => string[];
  /** the issuer's distinguished name */
  issuer: string;
  /** whether the context's CA (or one of its CAs) signed it */
  signedByContextCa: boolean;
}

/** Where a call went: enough to name the talosconfig, context, endpoint and node in an error. */
export interface CallSite {
  configPath: string;
  contextName: string;
  endpoint: string;
  node?: string;
  timeoutMs?: number;
  clientCertificate?: ClientCertificateFacts;
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

/** The Talos API's answer when the caller's roles do not allow a method or a sensitive resource. */
const ROLE_DENIAL = 'not authorized';

/** Explains an RPC failure as a sentence naming the talosconfig, context, endpoint and node involved. */
export function explainRpcError(err: RpcErrorLike, site: CallSite): string {
  const where = `context "${site.contextName}" of talosconfig "${site.configPath}"`;
  const target = site.node ? `node ${site.node} via endpoint ${site.endpoint}` : `endpoint ${site.endpoint}`;
  switch (err.code) {
    case Status.UNAVAILABLE: {
      const cause = connectionFailureCause(err.details);
      if (cause !== undefined) return explainConnectionFailure(cause, site, where);
      // The endpoint answered: it could not reach the node it was asked to forward to.
      if (site.node) return `node ${site.node} is unreachable through endpoint ${site.endpoint}: ${err.details}. Check the node address (-n) and that its agent is running.`;
      return `endpoint ${site.endpoint} is unavailable: ${err.details}.`;
    }
    case Status.PERMISSION_DENIED:
      return explainPermissionDenied(err.details, site, target, where);
    case Status.UNAUTHENTICATED:
      return `${target} did not accept the client certificate of ${where}: ${err.details}.`;
    case Status.DEADLINE_EXCEEDED:
      return `${target} did not answer within ${site.timeoutMs === undefined ? 'the deadline' : formatDuration(site.timeoutMs)}; retry with a larger --timeout, or check the node.`;
    case Status.CANCELLED:
      return 'canceled';
    default:
      return rpcErrorText(err);
  }
}

function explainPermissionDenied(details: string, site: CallSite, target: string, where: string): string {
  // Talos's resource access policy answers PermissionDenied for names it does not serve, too: not a role problem.
  const namespace = /^namespace "(.*)" is not supported$/.exec(details);
  if (namespace) return `${target} has no resource namespace "${namespace[1]}"; list the namespaces with \`osctl get namespaces\`.`;
  const type = /^resource type "(.*)" is not supported$/.exec(details);
  if (type) return `${target} does not serve resource type "${type[1]}"; list the types with \`osctl get rd\`.`;
  if (details !== ROLE_DENIAL) return `${target} refused the call: ${details}.`;
  const roles = site.clientCertificate?.roles();
  const held = roles === undefined ? '' : ` (it has ${roles.length > 0 ? `role${roles.length > 1 ? 's' : ''} ${roles.join(', ')}` : 'no roles'})`;
  return `${target} refused the call: ${details}. The client certificate of ${where}${held} lacks the role this needs; ` +
    'use an os:admin talosconfig, or ask an admin for one (`osctl config new --roles ...`).';
}

/**
 * The cause of a failure to connect, from grpc-js's status details, without its framing
 * (`No connection established. Last error: … (timestamp). Resolution note: …`) and OpenSSL's
 * (`…:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:…`).
 * undefined when the details are not a local connection failure (the endpoint itself answered).
 */
export function connectionFailureCause(details: string): string | undefined {
  if (/^Name resolution failed for target /.test(details)) return 'name resolution failed';
  const framed = /^No connection established(?:\. Last error: ([\s\S]*?)(?:\. Resolution note: ?[\s\S]*)?)?$/.exec(details.trim());
  if (!framed) return undefined;
  let cause = (framed[1] ?? '').trim();
  cause = cause.replace(/\s*\(\d{4}-\d\d-\d\dT[\d:.]+Z\)$/, '').replace(/^(Error: )+/, '');
  const openssl = /error:[\dA-F]+:[^:]*:[^:]*:([^:]+)/.exec(cause);
  return openssl ? openssl[1].trim() : cause;
}

// What a server's TLS alert about the client certificate means (Go servers, Talos's apid among them, send these).
const CLIENT_CERTIFICATE_ALERTS: Record<string, string> = {
  'unknown ca': 'it is not signed by a CA the node trusts',
  'certificate expired': 'the node considers it expired (check both clocks)',
  'bad certificate': 'the node could not verify it',
  'unsupported certificate': 'the node does not accept this kind of certificate',
  'certificate unknown': 'the node could not verify it',
  'certificate revoked': 'it has been revoked',
  'certificate required': 'no client certificate was sent, and the node requires one',
};

// Node's texts for a server certificate that does not verify against our CA bundle.
const SERVER_NOT_SIGNED = /self[- ]signed certificate|unable to verify the first certificate|unable to get (?:local )?issuer certificate|certificate signature failure/i;

const NEW_TALOSCONFIG = 'get a talosconfig for the cluster this endpoint belongs to, or select another context with --context';

function explainConnectionFailure(cause: string, site: CallSite, where: string): string {
  const endpoint = `endpoint ${site.endpoint}`;
  const checkEndpoint = `check that the agent is running there and that the endpoint in ${where} (or -e) is right`;
  const alert = /alert ([a-z ]+)$/i.exec(cause)?.[1].toLowerCase();
  if (alert !== undefined && CLIENT_CERTIFICATE_ALERTS[alert] !== undefined) {
    const why = alert === 'unknown ca' ? notSignedByContextCa(site) ?? CLIENT_CERTIFICATE_ALERTS[alert] : CLIENT_CERTIFICATE_ALERTS[alert];
    return `${endpoint} refused the client certificate of ${where}: ${why} (TLS alert "${alert}"); ${NEW_TALOSCONFIG}.`;
  }
  if (alert !== undefined) return `TLS handshake with ${endpoint} failed: the node sent TLS alert "${alert}".`;
  if (SERVER_NOT_SIGNED.test(cause)) {
    return `the certificate of ${endpoint} is not signed by the CA in ${where} (${cause}): the talosconfig is for another cluster, or the endpoint is not one of its nodes; ${NEW_TALOSCONFIG}.`;
  }
  if (/certificate has expired/i.test(cause)) return `the certificate of ${endpoint} has expired (check this machine's clock, or renew the node's certificates).`;
  if (/certificate is not yet valid/i.test(cause)) return `the certificate of ${endpoint} is not valid yet: check the clocks of this machine and of the node.`;
  if (/does not match certificate's altnames/i.test(cause)) {
    return `the certificate of ${endpoint} is not issued for that address (${cause}): use an address the node's certificate names (its IP), in ${where} or with -e.`;
  }
  if (/wrong version number|packet length too long|disconnected before secure TLS connection/i.test(cause)) {
    return `${endpoint} did not answer with TLS (${cause}): it is not a Talos API port; ${checkEndpoint}.`;
  }
  if (/^(Failed to connect|read ECONNRESET|Socket closed|socket hang up)$/i.test(cause)) {
    // Node-based servers (osd) close the connection right after the handshake instead of sending an alert.
    const unsigned = notSignedByContextCa(site);
    if (unsigned) return `${endpoint} refused the client certificate of ${where}: ${unsigned}; ${NEW_TALOSCONFIG}.`;
    return `${endpoint} closed the connection while setting up TLS (${cause}): it refused the client certificate of ${where}, or it is not a Talos API endpoint.`;
  }
  if (/ECONNREFUSED/.test(cause)) return `nothing accepts connections at ${endpoint} (connection refused): ${checkEndpoint}.`;
  if (/EHOSTUNREACH|ENETUNREACH/.test(cause)) return `${endpoint} is unreachable (no route to it): ${checkEndpoint}.`;
  if (/ETIMEDOUT/.test(cause)) return `connecting to ${endpoint} timed out: ${checkEndpoint}.`;
  if (cause === 'name resolution failed') return `cannot resolve the host name of ${endpoint}: check the endpoint in ${where} (or -e).`;
  return `cannot connect to ${endpoint}${cause === '' ? '' : ` (${cause})`}: ${checkEndpoint}.`;
}

function notSignedByContextCa(site: CallSite): string | undefined {
  const certificate = site.clientCertificate;
  if (certificate === undefined || certificate.signedByContextCa) return undefined;
  return `the client certificate is not signed by the context's CA, which the node uses (it was issued by another CA, "${certificate.issuer}")`;
}
