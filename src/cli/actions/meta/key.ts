// The META key as talosctl reads it: strconv.ParseUint(s, 0, 8), with Go's error texts (the key
// quoted as osctl quotes what a user typed: a long one is cut).
import {CliError, EXIT_USAGE} from '../../errors.js';
import {quoteInput} from '../../quote.js';

/** Decimal, 0x/0X hex, 0o/0O or leading-0 octal, 0b/0B binary; `_` between digits only with a prefix. */
export function parseMetaKey(text: string): number {
  const syntax = (): CliError => new CliError(`strconv.ParseUint: parsing ${quoteInput(text)}: invalid syntax`, EXIT_USAGE);
  let digits = text;
  let base = 10;
  let prefixed = false;
  if (/^0[xX]/.test(text)) [digits, base, prefixed] = [text.slice(2), 16, true];
  else if (/^0[bB]/.test(text)) [digits, base, prefixed] = [text.slice(2), 2, true];
  else if (/^0[oO]/.test(text)) [digits, base, prefixed] = [text.slice(2), 8, true];
  else if (/^0./.test(text)) [digits, base, prefixed] = [text.slice(1), 8, true];
  if (prefixed && digits.includes('_')) {
    // underscores only between digits or after the prefix (Go's underscoreOK)
    if (!/^_?[0-9a-zA-Z]+(_[0-9a-zA-Z]+)*$/.test(digits)) throw syntax();
    digits = digits.replaceAll('_', '');
  }
  const alphabet = '0123456789abcdef'.slice(0, base);
  if (digits === '' || ![...digits.toLowerCase()].every((c) => alphabet.includes(c))) throw syntax();
  const value = BigInt(base === 10 ? digits : `0${base === 16 ? 'x' : base === 8 ? 'o' : 'b'}${digits}`);
  if (value > 255n) throw new CliError(`strconv.ParseUint: parsing ${quoteInput(text)}: value out of range`, EXIT_USAGE);
  return Number(value);
}
