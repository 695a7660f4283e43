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
