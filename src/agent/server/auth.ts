// Who is calling: roles from the client certificate (talos-api.md §6.1, §4.1).
import type {PeerCertificate} from 'node:tls';
import {Metadata, status, type ServerUnaryCall} from '@grpc/grpc-js';
import {Role} from './roles.js';
import {RpcError} from './rpc-error.js';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
export const ROLE_METADATA_KEY = 'talos-role';

export interface Caller {
  /** The effective roles: the certificate's, or the forwarded ones for an impersonator. */
  roles: string[];
  subject: string;
}

/**
 * The caller's identity. Requires ExtKeyUsage exactly [clientAuth]; `talos-role` metadata is
 * trusted only from a certificate that carries os:impersonator (another osd forwarding a call).
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
  const certificateRoles = cleanRoles([certificate.subject.O ?? []].flat());
  const roles = certificateRoles.includes(Role.impersonator) ? forwardedRoles(call.metadata) : certificateRoles;
  return {roles, subject};
}

/** Roles as Talos reads them: trimmed, empty values dropped. */
export function cleanRoles(values: readonly string[]): string[] {
  return values.map((value) => value.trim()).filter((value) => value !== '');
}

function forwardedRoles(metadata: Metadata): string[] {
  // HTTP/2 may fold repeated headers into one comma-separated value; roles never contain commas.
  return cleanRoles(metadata.get(ROLE_METADATA_KEY).flatMap((value) => String(value).split(',')));
}

/** The subject as Go prints a pkix.Name: most specific attribute first, e.g. `CN=admin,O=os:admin`. */
function subjectString(certificate: PeerCertificate): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(certificate.subject ?? {})) {
    for (const item of [value].flat()) parts.push(`${key}=${item}`);
  }
  return parts.reverse().join(',');
}
