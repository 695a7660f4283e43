// Who is calling: roles from the client certificate (talos-api.md §6.1, §4.1).
import type {PeerCertificate} from 'node:tls';
import {Metadata, status, type ServerUnaryCall} from '@grpc/grpc-js';
import {parseRoles, Role} from '../../machinery/roles.js';
import {RpcError} from './rpc-error.js';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
export const ROLE_METADATA_KEY = 'talos-role';

// Node's HTTP/2 layer joins repeated header fields into one value with ", " before grpc-js sees
// them, so `talos-role: a` + `talos-role: b` arrives as "a, b".
const FOLDED_VALUE_SEPARATOR = ', ';

export interface Caller {
  /**
   * The effective roles, known role names only (unknown ones grant nothing): the certificate's, or
   * for an impersonator the ones its `talos-role` metadata states. Forwarding sends exactly these.
   */
  roles: string[];
  subject: string;
}

/**
 * The caller's identity. Requires ExtKeyUsage exactly [clientAuth]; `talos-role` metadata is
 * trusted only from a certificate that carries os:impersonator (another osd forwarding a call),
 * and an impersonator that sends none has its certificate's roles, as in Talos.
 */
export function authenticate(call: Pick<ServerUnaryCall<unknown, unknown>, 'getAuthContext' | 'metadata'>): Caller {
  const certificate = call.getAuthContext().sslPeerCertificate;
  if (certificate === undefined || Object.keys(certificate).length === 0) {
    // Unreachable with mutual TLS, which rejects clients without a certificate during the handshake.
    throw new RpcError(status.UNAUTHENTICATED, 'a client certificate is required');
  }
  const subject = subjectString(certificate);
  const usages = certificate.ext_key_usage ?? [];
  if (usages.length !== 1 || usages[0] !== CLIENT_AUTH_OID) {
    throw new RpcError(status.PERMISSION_DENIED, `certificate "${subject}" is missing the client auth extended key usage`);
  }
  const certificateRoles = parseRoles([certificate.subject.O ?? []].flat()).known;
  const stated = certificateRoles.includes(Role.impersonator) ? forwardedRoles(call.metadata) : undefined;
  return {roles: stated ?? certificateRoles, subject};
}

/** What a forwarded call carries: one `talos-role` value per role, as Talos's apid sends them. */
export function setForwardedRoles(metadata: Metadata, roles: readonly string[]): void {
  // The caller's roles are known role names only (see authenticate): none contains a comma, so the
  // receiver's split is exact.
  for (const role of roles) metadata.add(ROLE_METADATA_KEY, role);
}

/** The roles `talos-role` states, or undefined when the call has none. */
function forwardedRoles(metadata: Metadata): string[] | undefined {
  const values = metadata.get(ROLE_METADATA_KEY).map(String);
  if (values.length === 0) return undefined;
  // Undo the folding only: a value such as "x,os:admin" stays one unknown role. (A value that itself
  // contains ", ", which only a forwarder other than osd would send, cannot be told apart.)
  return parseRoles(values.flatMap((value) => value.split(FOLDED_VALUE_SEPARATOR))).known;
}

/** The subject as Go prints a pkix.Name: most specific attribute first, e.g. `CN=admin,O=os:admin`. */
function subjectString(certificate: PeerCertificate): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(certificate.subject ?? {})) {
    for (const item of [value].flat()) parts.push(`${key}=${item}`);
  }
  return parts.reverse().join(',');
}
