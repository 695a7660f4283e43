// Floats as Go's fmt `%.Nf` (strconv 'f') writes them. JavaScript's toFixed rounds an exact tie
// (a binary value exactly halfway, e.g. 0.125 or 2.625) away from zero; Go rounds it to the even
// digit: 0.125 → "0.12", 2.625 → "2.62", 0.375 → "0.38".

/** Go's strconv.FormatFloat(value, 'f', digits, 64), for finite values below 1e21 (toFixed's range). */
export function goFixed(value: number, digits: number): string {
  const fixed = value.toFixed(digits);
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21) return fixed;
  // The exact decimal expansion of the double (toFixed(100) is exact for every value of interest):
  // a tie is the digit 5 right after the kept digits and nothing but zeros behind it.
  const exact = Math.abs(value).toFixed(100);
  const point = exact.indexOf('.');
  const rest = exact.slice(point + 1 + digits);
  if (!/^50*$/.test(rest)) return fixed;
  const kept = exact.slice(0, point + 1 + digits).replace(/\.$/, '');
  const lastDigit = Number(kept[kept.length - 1]);
  if (lastDigit % 2 === 1) return fixed; // away from zero is the even digit here
  return `${value < 0 ? '-' : ''}${kept}`;
}
