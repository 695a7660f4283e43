// Why a gRPC channel could not connect, from grpc-js's status details: one classifier for osctl
// (explaining an endpoint it cannot reach) and osd (explaining a node it cannot forward to).
// Free of grpc-js so the CLI can load it at start-up.

export type ConnectionFailureKind =
  | 'name-resolution'
  | 'refused'
  | 'no-route'
  | 'timed-out'
  /** the peer sent a TLS alert about our client certificate (`alert` says which) */
  | 'client-certificate-refused'
  /** the peer sent another TLS alert */
  | 'tls-alert'
  | 'server-certificate-untrusted'
  | 'server-certificate-expired'
  | 'server-certificate-not-yet-valid'
  | 'server-certificate-wrong-name'
  /** the peer answered, but not with TLS */
  | 'not-tls'
  /** the peer closed the connection during the handshake (Node servers do so instead of an alert) */
  | 'closed-during-tls'
  | 'other';

export interface ConnectionFailure {
  kind: ConnectionFailureKind;
  /** the transport's own words, without grpc-js's and OpenSSL's framing ('' when it gave none) */
  cause: string;
  /** the TLS alert, lower case, for the two alert kinds */
  alert?: string;
}

/** What a TLS alert about the client certificate means (Go servers, Talos's apid among them, send these). */
export const CLIENT_CERTIFICATE_ALERTS: Readonly<Record<string, string>> = {
  'unknown ca': 'it is not signed by a CA the node trusts',
  'certificate expired': 'the node considers it expired (check both clocks)',
  'bad certificate': 'the node could not verify it',
  'unsupported certificate': 'the node does not accept this kind of certificate',
  'certificate unknown': 'the node could not verify it',
  'certificate revoked': 'it has been revoked',
  'certificate required': 'no client certificate was sent, and the node requires one',
};

// Node's texts for a server certificate that does not verify against the CA bundle.
const SERVER_NOT_SIGNED = /self[- ]signed certificate|unable to verify the first certificate|unable to get (?:local )?issuer certificate|certificate signature failure/i;

/**
 * The cause of a failure to connect, from grpc-js's status details, without its framing
 * (`No connection established. Last error: … (timestamp). Resolution note: …`) and OpenSSL's
 * (`…:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:…`).
 * undefined when the details are not a local connection failure (the peer itself answered).
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

/** The failure to connect that grpc-js's status details describe; undefined when they describe something else. */
export function classifyConnectionFailure(details: string): ConnectionFailure | undefined {
  const cause = connectionFailureCause(details);
  if (cause === undefined) return undefined;
  const kind = (k: ConnectionFailureKind, alert?: string): ConnectionFailure => (alert === undefined ? {kind: k, cause} : {kind: k, cause, alert});
  if (cause === 'name resolution failed') return kind('name-resolution');
  const alert = /alert ([a-z ]+)$/i.exec(cause)?.[1].toLowerCase();
  if (alert !== undefined) return kind(CLIENT_CERTIFICATE_ALERTS[alert] === undefined ? 'tls-alert' : 'client-certificate-refused', alert);
  if (SERVER_NOT_SIGNED.test(cause)) return kind('server-certificate-untrusted');
  if (/certificate has expired/i.test(cause)) return kind('server-certificate-expired');
  if (/certificate is not yet valid/i.test(cause)) return kind('server-certificate-not-yet-valid');
  if (/does not match certificate's altnames/i.test(cause)) return kind('server-certificate-wrong-name');
  if (/wrong version number|packet length too long|disconnected before secure TLS connection/i.test(cause)) return kind('not-tls');
  if (/^(Failed to connect|read ECONNRESET|Socket closed|socket hang up)$/i.test(cause)) return kind('closed-during-tls');
  if (/ECONNREFUSED/.test(cause)) return kind('refused');
  if (/EHOSTUNREACH|ENETUNREACH/.test(cause)) return kind('no-route');
  if (/ETIMEDOUT/.test(cause)) return kind('timed-out');
  return kind('other');
}

/**
 * The failure as a short clause about the peer ("there", "it"), to follow "<peer> is unreachable: ".
 * Callers that know more (the CLI knows the talosconfig) say more with `kind`.
 */
export function describeConnectionFailure(failure: ConnectionFailure): string {
  const {kind, cause, alert} = failure;
  switch (kind) {
    case 'name-resolution': return 'its host name does not resolve';
    case 'refused': return 'nothing accepts connections there (connection refused)';
    case 'no-route': return 'there is no route to it';
    case 'timed-out': return 'connecting timed out';
    case 'client-certificate-refused': return `it refused the client certificate: ${CLIENT_CERTIFICATE_ALERTS[alert!]} (TLS alert "${alert}")`;
    case 'tls-alert': return `the TLS handshake failed: it sent TLS alert "${alert}"`;
    case 'server-certificate-untrusted': return `its certificate is not signed by the cluster's CA (${cause})`;
    case 'server-certificate-expired': return 'its certificate has expired';
    case 'server-certificate-not-yet-valid': return 'its certificate is not valid yet (check the clocks)';
    case 'server-certificate-wrong-name': return `its certificate is not issued for that address (${cause})`;
    case 'not-tls': return `it did not answer with TLS (${cause}): it is not a Talos API port`;
    case 'closed-during-tls': return `it closed the connection while setting up TLS (${cause})`;
    default: return cause === '' ? 'no connection could be set up' : cause;
  }
}
