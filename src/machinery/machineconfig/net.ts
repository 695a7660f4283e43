// Address, URL and encoding checks that behave like the Go standard library
// functions Talos validates with, so that the same inputs pass and fail.

/** Parses an IPv4 or IPv6 literal (Go `net.ParseIP`; zones only when allowed, as `netip.ParseAddr`). */
export function parseIP(text: string, allowZone = false): { version: 4 | 6 } | undefined {
  if (isIPv4(text)) return { version: 4 };
  let addr = text;
  const zoneAt = addr.indexOf('%');
  if (zoneAt >= 0) {
    if (!allowZone || zoneAt === addr.length - 1) return undefined;
    addr = addr.slice(0, zoneAt);
  }
  return isIPv6(addr) ? { version: 6 } : undefined;
}

function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return (
    parts.length === 4 &&
    parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)
  );
}

function isIPv6(text: string): boolean {
  let groups = 8;
  let body = text;
  const lastColon = body.lastIndexOf(':');
  if (lastColon >= 0 && body.slice(lastColon + 1).includes('.')) {
    // Embedded IPv4 tail (e.g. ::ffff:10.0.0.1) takes two groups.
    if (!isIPv4(body.slice(lastColon + 1))) return false;
    body = body.slice(0, lastColon + 1) + '0';
    groups = 7;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const hexGroups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = hexGroups(halves[0]);
  const tail = halves.length === 2 ? hexGroups(halves[1]) : [];
  if (![...head, ...tail].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const count = head.length + tail.length;
  return halves.length === 2 ? count < groups : count === groups;
}

/** Go `net.ParseCIDR`: `<ip>/<bits>`; the error text is Go's. */
export function parseCIDR(text: string): string | undefined {
  const error = `invalid CIDR address: ${text}`;
  const slash = text.indexOf('/');
  if (slash < 0) return error;
  const ip = parseIP(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (!ip || !/^[0-9]+$/.test(bits) || Number(bits) > (ip.version === 4 ? 32 : 128)) return error;
  return undefined;
}

/** Talos `validateIPOrCIDR`: a CIDR when the text has a slash, a bare IP otherwise. */
export function checkIPOrCIDR(text: string): string | undefined {
  if (text.includes('/')) return parseCIDR(text);
  return parseIP(text) ? undefined : `failed to parse IP address "${text}"`;
}

/** siderolabs/net `ParseSubnetOrAddress`: a prefix or a bare address. */
export function isSubnetOrAddress(text: string): boolean {
  return text.includes('/') ? parseCIDR(text) === undefined : parseIP(text, true) !== undefined;
}

const dnsNamePattern = /^([a-zA-Z0-9_]{1}[a-zA-Z0-9_-]{0,62}){1}(\.[a-zA-Z0-9_]{1}[a-zA-Z0-9_-]{0,62})*[._]?$/;

/** Talos `isValidDNSName` (cluster dnsDomain). */
export function isValidDNSName(name: string): boolean {
  if (name === '' || name.length - (name.match(/\./g)?.length ?? 0) > 255) return false;
  return dnsNamePattern.test(name);
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** RFC 1123 subdomain check with the wording Talos uses for it. */
export function checkDNS1123Subdomain(value: string): string | undefined {
  if (value.length > 253) return `domain name length exceeds limit of 253: ${JSON.stringify(value)}`;
  if (!dns1123Subdomain.test(value)) return `domain doesn't match required format: ${JSON.stringify(value)}`;
  return undefined;
}

export interface ParsedURL {
  scheme: string;
  /** Host with port, as in Go's `URL.Host`. */
  host: string;
  hostname: string;
  port: string;
  path: string;
}

// Characters Go accepts unescaped in a URL host.
const hostChars = /^[A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"%]$/;

/**
 * Go `url.Parse` (or `url.ParseRequestURI` when `requestURI` is set), reduced to
 * the parts Talos looks at. Errors read like Go's: `parse "<url>": <reason>`.
 */
export function parseURL(text: string, requestURI = false): ParsedURL | { error: string } {
  const fail = (reason: string) => ({ error: `parse ${JSON.stringify(text)}: ${reason}` });
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(text)) return fail('net/url: invalid control character in URL');

  let rest = requestURI ? text : text.split('#')[0];
  let scheme = '';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+.-]/.test(c) && i > 0) continue;
    if (c === ':') {
      if (i === 0) return fail('missing protocol scheme');
      scheme = rest.slice(0, i).toLowerCase();
      rest = rest.slice(i + 1);
    }
    break;
  }
  const queryAt = rest.indexOf('?');
  if (queryAt >= 0) rest = rest.slice(0, queryAt);

  const empty = { scheme, host: '', hostname: '', port: '', path: '' };
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { ...empty, path: requestURI ? rest : '' };
    if (requestURI) return fail('invalid URI for request');
    const firstSegment = rest.split('/')[0];
    if (firstSegment.includes(':')) return fail('first path segment in URL cannot contain colon');
    return { ...empty, path: rest };
  }
  const hasAuthority = (scheme !== '' || (!requestURI && !rest.startsWith('///'))) && rest.startsWith('//');
  if (!hasAuthority) return { ...empty, path: rest };

  const authorityEnd = rest.indexOf('/', 2);
  const authority = authorityEnd < 0 ? rest.slice(2) : rest.slice(2, authorityEnd);
  const path = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
  const host = authority.slice(authority.lastIndexOf('@') + 1);

  let hostname = host;
  let colonPort = '';
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) return fail("missing ']' in host");
    colonPort = host.slice(close + 1);
    hostname = host.slice(1, close);
    if (colonPort !== '' && !colonPort.startsWith(':')) return fail(`invalid port ${JSON.stringify(colonPort)} after host`);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      colonPort = host.slice(colon);
      hostname = host.slice(0, colon);
    }
  }
  if (colonPort !== '' && !/^:[0-9]*$/.test(colonPort)) return fail(`invalid port ${JSON.stringify(colonPort)} after host`);
  for (const c of host) {
    if (!hostChars.test(c)) return fail(`invalid character ${JSON.stringify(c)} in host name`);
  }
  return { scheme, host, hostname, port: colonPort.slice(1), path };
}

/** siderolabs/net `ValidateEndpointURI`: returns the reason the endpoint is unusable. */
export function checkEndpointURI(endpoint: string): string | undefined {
  const url = parseURL(endpoint);
  if ('error' in url) return url.error;
  if ((url.host.match(/:/g)?.length ?? 0) > 2 && !(url.host.includes('[') && url.host.includes(']'))) {
    return 'IPv6 addresses MUST be enclosed by square brackets';
  }
  if (url.hostname === '') return 'hostname must not be blank';
  if (url.port !== '') {
    if (!/^[0-9]+$/.test(url.port)) return 'port number must be numeric';
    const port = Number(url.port);
    if (port < 1 || port > 65535) return 'port number must be between 1 and 65535';
  }
  return undefined;
}

/** siderolabs/net `AddressContainsPort` (best-effort `host:port` check). */
export function addressContainsPort(address: string): boolean {
  if (!address.includes(':')) return false;
  const trimBrackets = (s: string) => s.replace(/^\[+|\]+$/g, '');
  if (parseIP(trimBrackets(address))) return false;
  const pieces = address.split(':');
  const withoutPort = address.slice(0, address.length - pieces[pieces.length - 1].length - 1);
  if (parseIP(trimBrackets(withoutPort))) return true;
  return pieces.length <= 2;
}

const base64Alphabet = /^[A-Za-z0-9+/]$/;

/**
 * Go `base64.StdEncoding.DecodeString`: returns the decoded length, or Go's
 * error text (`illegal base64 data at input byte N`).
 */
export function decodeBase64Length(text: string): number | { error: string } {
  const fail = (at: number) => ({ error: `illegal base64 data at input byte ${at}` });
  let length = 0;
  let quantum = 0;
  let quantumStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n' || c === '\r') continue;
    if (c === '=') {
      // Padding is only valid as the last one or two characters of a quantum.
      if (quantum < 2) return fail(i);
      let end = i + 1;
      if (quantum === 2) {
        while (end < text.length && (text[end] === '\n' || text[end] === '\r')) end++;
        if (text[end] !== '=') return fail(end < text.length ? end : i);
        end++;
      }
      while (end < text.length && (text[end] === '\n' || text[end] === '\r')) end++;
      if (end < text.length) return fail(end);
      return length + quantum - 1;
    }
    if (!base64Alphabet.test(c)) return fail(i);
    if (quantum === 0) quantumStart = i;
    quantum++;
    if (quantum === 4) {
      length += 3;
      quantum = 0;
    }
  }
  return quantum === 0 ? length : fail(quantumStart);
}
