// Turning failures into sentences that say what went wrong, where, and what to do.
// Kept free of grpc-js and node:crypto imports (status codes are plain numbers, certificate facts come
// precomputed) so the CLI can load it at start-up.
import {classifyConnectionFailure, CLIENT_CERTIFICATE_ALERTS, type ConnectionFailure} from '../machinery/connection-failure.js';
import {goErrorText} from '../machinery/rpc-status.js';
import {formatDuration} from '../machinery/go-duration.js';

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
  return goErrorText(err.code, err.details);
}

/** The Talos API's answer when the caller's roles do not allow a method or a sensitive resource. */
const ROLE_DENIAL = 'not authorized';

/** Explains an RPC failure as a sentence naming the talosconfig, context, endpoint and node involved. */
export function explainRpcError(err: RpcErrorLike, site: CallSite): string {
  const where = `context "${site.contextName}" of talosconfig "${site.configPath}"`;
  const target = site.node ? `node ${site.node} via endpoint ${site.endpoint}` : `endpoint ${site.endpoint}`;
  switch (err.code) {
    case Status.UNAVAILABLE: {
      const failure = classifyConnectionFailure(err.details);
      if (failure !== undefined) return explainConnectionFailure(failure, site, where);
      // grpc-js's text when the endpoint's connection closes under a call that was already running.
      if (err.details === 'Connection dropped') {
        return `the connection to endpoint ${site.endpoint} was lost during the call to ${target}: its agent stopped, or the network dropped it.`;
      }
      // The endpoint answered: it could not reach the node it was asked to forward to. osd's
      // answer names the node already (`node X (X:50000) is unreachable: …`); apid's does not.
      if (site.node) {
        const what = err.details.startsWith(`node ${site.node} `) ? `${err.details}, says endpoint ${site.endpoint}` : `node ${site.node} is unreachable through endpoint ${site.endpoint}: ${err.details}`;
        return `${what}. Check the node address (-n) and that its agent is running.`;
      }
      return `endpoint ${site.endpoint} is unavailable: ${err.details}.`;
    }
    case Status.PERMISSION_DENIED:
      return explainPermissionDenied(err.details, site, target, where);
    case Status.UNAUTHENTICATED:
      return `${target} did not accept the client certificate of ${where}: ${err.details}.`;
    case Status.DEADLINE_EXCEEDED:
      return `${target} did not answer within ${site.timeoutMs === undefined ? 'the deadline' : formatDuration(site.timeoutMs)}; retry with a larger --timeout, or check the node.`;
    case Status.CANCELLED:
      // The user's own cancelling (Ctrl-C) never gets here (the client reports the abort itself):
      // the call ended from the other side, or its connection did.
      return `the call to ${target} was canceled, not by this command (${err.details}): the agent stopped, or the connection was lost.`;
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

const NEW_TALOSCONFIG = 'get a talosconfig for the cluster this endpoint belongs to, or select another context with --context';

function explainConnectionFailure({kind, cause, alert}: ConnectionFailure, site: CallSite, where: string): string {
  const endpoint = `endpoint ${site.endpoint}`;
  const checkEndpoint = `check that the agent is running there and that the endpoint in ${where} (or -e) is right`;
  switch (kind) {
    case 'client-certificate-refused': {
      const why = (alert === 'unknown ca' ? notSignedByContextCa(site) : undefined) ?? CLIENT_CERTIFICATE_ALERTS[alert!];
      return `${endpoint} refused the client certificate of ${where}: ${why} (TLS alert "${alert}"); ${NEW_TALOSCONFIG}.`;
    }
    case 'tls-alert':
      return `TLS handshake with ${endpoint} failed: the node sent TLS alert "${alert}".`;
    case 'server-certificate-untrusted':
      return `the certificate of ${endpoint} is not signed by the CA in ${where} (${cause}): the talosconfig is for another cluster, or the endpoint is not one of its nodes; ${NEW_TALOSCONFIG}.`;
    case 'server-certificate-expired':
      return `the certificate of ${endpoint} has expired (check this machine's clock, or renew the node's certificates).`;
    case 'server-certificate-not-yet-valid':
      return `the certificate of ${endpoint} is not valid yet: check the clocks of this machine and of the node.`;
    case 'server-certificate-wrong-name':
      return `the certificate of ${endpoint} is not issued for that address (${cause}): use an address the node's certificate names (its IP), in ${where} or with -e.`;
    case 'not-tls':
      return `${endpoint} did not answer with TLS (${cause}): it is not a Talos API port; ${checkEndpoint}.`;
    case 'closed-during-tls': {
      // Node-based servers (osd) close the connection right after the handshake instead of sending an alert.
      const unsigned = notSignedByContextCa(site);
      if (unsigned) return `${endpoint} refused the client certificate of ${where}: ${unsigned}; ${NEW_TALOSCONFIG}.`;
      return `${endpoint} closed the connection while setting up TLS (${cause}): it refused the client certificate of ${where}, or it is not a Talos API endpoint.`;
    }
    case 'refused':
      return `nothing accepts connections at ${endpoint} (connection refused): ${checkEndpoint}.`;
    case 'no-route':
      return `${endpoint} is unreachable (no route to it): ${checkEndpoint}.`;
    case 'timed-out':
      return `connecting to ${endpoint} timed out: ${checkEndpoint}.`;
    case 'name-resolution':
      return `cannot resolve the host name of ${endpoint}: check the endpoint in ${where} (or -e).`;
    default:
      return `cannot connect to ${endpoint}${cause === '' ? '' : ` (${cause})`}: ${checkEndpoint}.`;
  }
}

function notSignedByContextCa(site: CallSite): string | undefined {
  const certificate = site.clientCertificate;
  if (certificate === undefined || certificate.signedByContextCa) return undefined;
  return `the client certificate is not signed by the context's CA, which the node uses (it was issued by another CA, "${certificate.issuer}")`;
}
