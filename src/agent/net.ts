// IP address helpers: canonical forms for comparison and raw bytes for common.NetIP.
import {isIPv4, isIPv6} from 'node:net';

/** The 4 or 16 address bytes; undefined when `text` is not an IP literal. */
export function ipBytes(text: string): Uint8Array | undefined {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  if (!isIPv6(text)) return undefined;

  let address = text.replace(/%.*$/, ''); // drop a zone index
  const bytes = new Uint8Array(16);
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4 !== null) {
    const [a, b, c, d] = v4[1].split('.').map(Number);
    address = `${address.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...headGroups, ...new Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  groups.forEach((group, index) => {
    const value = Number.parseInt(group, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  });
  return bytes;
}

/** A canonical text form, so `::1` and `0:0::1` compare equal; undefined for non-IPs. */
export function canonicalIp(text: string): string | undefined {
  const bytes = ipBytes(text.replace(/^\[(.*)\]$/, '$1'));
  if (bytes === undefined) return undefined;
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':');
}

/**
 * IP text as Go writes it: dotted quad for IPv4; IPv6 as RFC 5952 (lower-case hex without leading
 * zeros, the longest run of two or more zero groups, the first of equal runs, written `::`). An
 * IPv4-mapped address is `::ffff:a.b.c.d` in netip.Addr.String and a dotted quad in net.IP.String.
 */
export function goIpText(bytes: Uint8Array, mapped: 'netip' | 'net.IP'): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return '?';
  if (bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    const quad = Array.from(bytes.subarray(12)).join('.');
    return mapped === 'netip' ? `::ffff:${quad}` : quad;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = (list: number[]): string => list.map((group) => group.toString(16)).join(':');
  if (bestLength < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
