// YAML text exactly as Go's gopkg.in/yaml.v3 `yaml.Marshal` writes it: the encoder COSI uses for
// every resource's yaml_spec, Talos for machine configs and talosctl for `-o yaml`. Matching it
// byte for byte is what lets talosctl print osd's resources as it prints Talos's (talosctl keeps
// each scalar's style when it re-encodes a yaml_spec).
//
// The rules, from yaml.v3's encoder and its libyaml-derived emitter:
// - indentation 4 and no line wrapping; a block nested under a key is indented to the next
//   multiple of 4, a block inside a sequence item starts right after its "- " (+2);
// - empty collections are written in flow style (`[]`, `{}`), nil as `null`;
// - a string is plain unless plain text would read back as another type (`"1"`, `"true"`,
//   `"yes"`, `""`, `"2024-01-02"`, `"1:20"`): then double quotes; when only YAML syntax forbids
//   plain (`'*x'`, `'{.a}'`, `'a: b'`), single quotes; double quotes again when single quotes
//   cannot hold the text (tabs, control characters);
// - a string with a line break is a literal block (`|`, `|-`, `|+`) unless a block cannot hold
//   it (trailing spaces, control characters), then it is double-quoted with escapes.
// Key order is the caller's: build spec objects in Go struct field order, Go maps through inGoMapOrder.

/** How Go writes a timestamp: RFC 3339 in UTC, fractional seconds only when non-zero (RFC3339Nano). */
export function formatGoTimestamp(date: Date): string {
  return date.toISOString().replace(/\.?0*Z$/, 'Z');
}

/**
 * A scalar Go writes from an untagged yaml.Node (COSI metadata does this): quoted only when YAML
 * syntax requires it, so a version `1` is written `1`, not `"1"`, and an empty owner as nothing.
 */
export class UntaggedScalar {
  constructor(readonly text: string) {}
}

/** One YAML document for `value`, ending with a newline, as yaml.Marshal(value) writes it. */
export function toGoYaml(value: unknown): string {
  if (isBlockCollection(value)) return blockCollection(value, 0, false) + '\n';
  // A scalar document: libyaml indents a root block scalar's body by the full indent width.
  return scalarText(value, {indent: BEST_INDENT, simpleKey: false}) + '\n';
}

/**
 * `value` with every mapping's keys in the order yaml.v3 writes a Go map's keys, for free-form
 * objects Go holds as maps (Kubernetes objects). Not plain code point order: a non-letter sorts
 * before a letter (after one following a digit), and digit runs compare as numbers (`a9` < `a10`).
 */
export function inGoMapOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inGoMapOrder);
  if (!isMapping(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort(compareGoMapKeys)
      .map((key) => [key, inGoMapOrder(value[key])]),
  );
}

const isLetter = (char: string) => /^\p{L}$/u.test(char);
const isDigit = (char: string) => /^\p{Nd}$/u.test(char);

function compareGoMapKeys(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  const codePointOrder = (i: number) => x[i].codePointAt(0)! - y[i].codePointAt(0)!;
  let afterDigit = false;
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) {
      afterDigit = isDigit(x[i]);
      continue;
    }
    const xLetter = isLetter(x[i]);
    const yLetter = isLetter(y[i]);
    if (xLetter && yLetter) return codePointOrder(i);
    if (xLetter || yLetter) return (afterDigit ? xLetter : yLetter) ? -1 : 1;
    // Zeros right after a shared non-zero digit are significant: both numbers then start at 1.
    let sharedNonZero = false;
    if (x[i] === '0' || y[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(x[j]) && !sharedNonZero; j--) sharedNonZero = x[j] !== '0';
    }
    const [xNumber, xEnd] = digitRun(x, i, sharedNonZero ? 1 : 0);
    const [yNumber, yEnd] = digitRun(y, i, sharedNonZero ? 1 : 0);
    if (xNumber !== yNumber) return xNumber < yNumber ? -1 : 1;
    if (xEnd !== yEnd) return xEnd - yEnd;
    return codePointOrder(i);
  }
  return x.length - y.length;
}

/** The digit run at `start` read as a number continuing `number`, and the index after it. */
function digitRun(chars: string[], start: number, number: number): [number, number] {
  let end = start;
  for (; end < chars.length && isDigit(chars[end]); end++) number = number * 10 + (chars[end].codePointAt(0)! - 48);
  return [number, end];
}

// ---------------------------------------------------------------------------------------------
// Layout

const BEST_INDENT = 4;
/** libyaml writes longer keys in the explicit `? key` form. */
const MAX_SIMPLE_KEY_BYTES = 128;

type Mapping = Record<string, unknown>;
type Collection = unknown[] | Mapping;

function isMapping(value: unknown): value is Mapping {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof UntaggedScalar) &&
    !ArrayBuffer.isView(value)
  );
}

/** Entries Go would write; `undefined` stands for an omitted (omitempty) field. */
function entriesOf(mapping: Mapping): Array<[string, unknown]> {
  return Object.entries(mapping).filter(([, item]) => item !== undefined);
}

function isBlockCollection(value: unknown): value is Collection {
  if (Array.isArray(value)) return value.length > 0;
  return isMapping(value) && entriesOf(value).length > 0;
}

/**
 * The indentation libyaml gives a node nested in a collection whose lines start at `indent`:
 * inside a sequence item it skips the "- " (+2), anywhere else it aligns to the next multiple of 4.
 */
function nestedIndent(indent: number, insideSequenceItem: boolean): number {
  return insideSequenceItem ? indent + 2 : BEST_INDENT * Math.floor((indent + BEST_INDENT) / BEST_INDENT);
}

/**
 * A block collection whose lines start at column `indent`; with `continuesLine` its first line
 * has no indentation because it follows a "- " already written.
 */
function blockCollection(collection: Collection, indent: number, continuesLine: boolean): string {
  const pad = ' '.repeat(indent);
  const lines = Array.isArray(collection)
    ? collection.map((item) => '-' + afterIndicator(item, indent, true))
    : entriesOf(collection).map(([key, item]) =>
        isSimpleKey(key)
          ? scalarText(key, {indent, simpleKey: true}) + ':' + afterIndicator(item, indent, false)
          : complexEntry(key, item, indent, pad),
      );
  return lines.map((line, index) => (index === 0 && continuesLine ? line : pad + line)).join('\n');
}

/** What follows "key:" or "-" for `value`, in a collection whose lines start at column `indent`. */
function afterIndicator(value: unknown, indent: number, insideSequenceItem: boolean): string {
  const inner = nestedIndent(indent, insideSequenceItem);
  if (isBlockCollection(value)) {
    return insideSequenceItem ? ' ' + blockCollection(value, inner, true) : '\n' + blockCollection(value, inner, false);
  }
  const text = scalarText(value, {indent: inner, simpleKey: false});
  // An empty plain scalar (an untagged empty value) is written as nothing at all.
  return text === '' ? '' : ' ' + text;
}

/** libyaml writes a key in the explicit `? key` form when it spans lines or is long. */
function isSimpleKey(key: string): boolean {
  return !analyzeScalar(key).multiline && Buffer.byteLength(key) <= MAX_SIMPLE_KEY_BYTES;
}

/** `? key` then `: value` on the next line; a block value starts on the `:` line, padded to its indent. */
function complexEntry(key: string, value: unknown, indent: number, pad: string): string {
  const inner = nestedIndent(indent, false);
  const valueText = isBlockCollection(value)
    ? ' '.repeat(inner - indent - 1) + blockCollection(value, inner, true)
    : afterIndicator(value, indent, false);
  return `? ${scalarText(key, {indent: inner, simpleKey: false})}\n${pad}:${valueText}`;
}

// ---------------------------------------------------------------------------------------------
// Scalars

type Style = 'plain' | 'single' | 'double' | 'literal';

interface ScalarContext {
  /** Where a literal block's lines start. */
  indent: number;
  /** A mapping key: never a block, an empty plain key is quoted. */
  simpleKey: boolean;
}

/** Any non-collection value (or an empty collection) as Go writes it. */
function scalarText(value: unknown, context: ScalarContext): string {
  if (value instanceof UntaggedScalar) {
    return styledText(value.text, value.text.includes('\n') ? 'literal' : 'plain', context);
  }
  if (typeof value === 'string') return styledText(value, stringStyle(value), context);
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return formatGoTimestamp(value);
  if (Array.isArray(value)) return '[]';
  switch (typeof value) {
    case 'number':
      return goNumber(value);
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'object':
      return '{}';
    default:
      throw new TypeError(`cannot write a ${typeof value} as YAML`);
  }
}

/** yaml.v3's choice for a Go string, before the emitter checks what the text allows. */
function stringStyle(text: string): Style {
  if (text.includes('\n')) return 'literal';
  return resolveGoScalar(text).tag === 'str' && !isBase60Float(text) && !isOldBool(text) ? 'plain' : 'double';
}

/** The emitter's fallbacks (libyaml's select_scalar_style), then the text in the chosen style. */
function styledText(text: string, wanted: Style, context: ScalarContext): string {
  const allowed = analyzeScalar(text);
  let style = wanted;
  if (context.simpleKey && allowed.multiline) style = 'double';
  if (style === 'plain' && (!allowed.blockPlain || (text === '' && context.simpleKey))) style = 'single';
  if (style === 'single' && !allowed.singleQuoted) style = 'double';
  if (style === 'literal' && (!allowed.block || context.simpleKey)) style = 'double';
  switch (style) {
    case 'plain':
      return text;
    case 'single':
      return `'${text.replaceAll("'", "''")}'`;
    case 'double':
      return doubleQuoted(text);
    case 'literal':
      return literalBlock(text, context.indent);
  }
}

const isBreak = (c: string) => c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029';
const isBlank = (c: string | undefined) => c === ' ' || c === '\t';

/** libyaml's printable set (in Unicode mode): no C0/C1 controls except LF, no BOM, nothing above U+FFFD. */
function isPrintable(c: string): boolean {
  const code = c.codePointAt(0) as number;
  return (
    code === 0x0a ||
    (code >= 0x20 && code <= 0x7e) ||
    (code >= 0xa0 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd && code !== 0xfeff)
  );
}

/** Which styles can hold `text` (libyaml's analyze_scalar, block context). */
function analyzeScalar(text: string): {multiline: boolean; blockPlain: boolean; singleQuoted: boolean; block: boolean} {
  if (text === '') return {multiline: false, blockPlain: true, singleQuoted: true, block: false};
  const chars = Array.from(text);
  let indicators = text.startsWith('---') || text.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let tabs = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let precededByWhitespace = true;
  chars.forEach((c, i) => {
    const followedByWhitespace = i + 1 >= chars.length || isBlank(chars[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) indicators = true;
      else if ((c === '?' || c === ':' || c === '-') && followedByWhitespace) indicators = true;
    } else if ((c === ':' && followedByWhitespace) || (c === '#' && precededByWhitespace)) {
      indicators = true;
    }
    if (c === '\t') tabs = true;
    else if (!isPrintable(c)) special = true;
    if (c === ' ') {
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(c) || isBreak(c);
  });
  const first = chars[0];
  const last = chars[chars.length - 1];
  const edgeWhitespace = first === ' ' || isBreak(first) || last === ' ' || isBreak(last);
  return {
    multiline: lineBreaks,
    blockPlain: !(edgeWhitespace || breakSpace || spaceBreak || tabs || special || lineBreaks || indicators),
    singleQuoted: !(breakSpace || spaceBreak || tabs || special),
    block: !(last === ' ' || spaceBreak || special),
  };
}

const ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
  '"': '\\"',
  '\\': '\\\\',
  '\u0085': '\\N',
  '\u2028': '\\L',
  '\u2029': '\\P',
};

function doubleQuoted(text: string): string {
  let out = '"';
  for (const c of text) {
    if (isPrintable(c) && !isBreak(c) && c !== '"' && c !== '\\') {
      out += c;
      continue;
    }
    const code = c.codePointAt(0) as number;
    const hex = code.toString(16).toUpperCase();
    out += ESCAPES[c] ?? (code <= 0xff ? `\\x${hex.padStart(2, '0')}` : code <= 0xffff ? `\\u${hex.padStart(4, '0')}` : `\\U${hex.padStart(8, '0')}`);
  }
  return out + '"';
}

/** A literal block: header (indentation and chomping indicators), then the lines at `indent`. */
function literalBlock(text: string, indent: number): string {
  const chars = Array.from(text);
  const last = chars[chars.length - 1];
  // Clip (no indicator) keeps one final line break; strip (-) none; keep (+) several.
  const chomping = !isBreak(last) ? '-' : chars.length === 1 || isBreak(chars[chars.length - 2]) ? '+' : '';
  const indentation = chars[0] === ' ' || isBreak(chars[0]) ? String(BEST_INDENT) : '';
  let out = `|${indentation}${chomping}\n`;
  let atLineStart = true;
  for (const c of chars) {
    if (isBreak(c)) {
      out += c;
      atLineStart = true;
    } else {
      if (atLineStart) out += ' '.repeat(indent);
      out += c;
      atLineStart = false;
    }
  }
  // The caller ends the value's line itself.
  return out.endsWith('\n') ? out.slice(0, -1) : out;
}

/** strconv.FormatFloat(f, 'g', -1, 64) with yaml.v3's names for the special values. */
function goNumber(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
  if (Number.isSafeInteger(value)) return String(value);
  const [mantissa, exponentText] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  // Shortest formatting switches to an exponent from 1e6 on (Go's %g with precision 6).
  if (exponent < -4 || exponent >= 6) {
    const digits = exponentText.replace(/^[+-]/, '').padStart(2, '0');
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${digits}`;
  }
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// Resolving plain scalars (yaml.v3's resolve), which decides when a string must be quoted

export type GoScalarTag = 'null' | 'bool' | 'int' | 'float' | 'timestamp' | 'str';

const SPECIAL_PLAIN: ReadonlyMap<string, [GoScalarTag, unknown]> = new Map<string, [GoScalarTag, unknown]>([
  ...['true', 'True', 'TRUE'].map((s): [string, [GoScalarTag, unknown]] => [s, ['bool', true]]),
  ...['false', 'False', 'FALSE'].map((s): [string, [GoScalarTag, unknown]] => [s, ['bool', false]]),
  ...['', '~', 'null', 'Null', 'NULL'].map((s): [string, [GoScalarTag, unknown]] => [s, ['null', null]]),
  ...['.nan', '.NaN', '.NAN'].map((s): [string, [GoScalarTag, unknown]] => [s, ['float', Number.NaN]]),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s): [string, [GoScalarTag, unknown]] => [s, ['float', Infinity]]),
  ...['-.inf', '-.Inf', '-.INF'].map((s): [string, [GoScalarTag, unknown]] => [s, ['float', -Infinity]]),
]);

/**
 * The value Go's yaml.Unmarshal into interface{} reads back from an untagged scalar: talosctl's
 * JSON output is made that way, which is why its `metadata.version` is a number and an empty
 * owner is null. Text the emitter must quote reads back as that text; timestamps stay strings
 * (yaml.v3 keeps them as text for interface{}).
 */
export function resolveUntaggedScalar(text: string): unknown {
  if (!analyzeScalar(text).blockPlain) return text;
  const {tag, value} = resolveGoScalar(text);
  return tag === 'timestamp' ? text : value;
}

/**
 * What Go reads from `text` written as a plain scalar: its tag and value (ints beyond JavaScript's
 * safe range as BigInt, timestamps as the text).
 */
export function resolveGoScalar(text: string): {tag: GoScalarTag; value: unknown} {
  const first = text[0] ?? '';
  // Only these first characters can start anything but a string (so `<<` stays a string here).
  if (text !== '' && !/[-+0-9yYnNtTfFoO~.]/.test(first)) return {tag: 'str', value: text};
  const special = SPECIAL_PLAIN.get(text);
  if (special !== undefined) return {tag: special[0], value: special[1]};
  if (first === '.') {
    // Go's ParseFloat on ".5", ".5e3", ".5_5" (digit groups may be separated by single underscores).
    if (/^\.\d+(?:_\d+)*(?:[eE][-+]?\d+(?:_\d+)*)?$/.test(text)) {
      const value = Number(text.replaceAll('_', ''));
      if (Number.isFinite(value)) return {tag: 'float', value};
    }
    return {tag: 'str', value: text};
  }
  if (!/[-+0-9]/.test(first)) return {tag: 'str', value: text};
  if (isGoTimestamp(text)) return {tag: 'timestamp', value: text};
  const plain = text.replaceAll('_', '');
  const integer = parseGoInt(plain);
  if (integer !== undefined) {
    return {tag: 'int', value: integer >= BigInt(Number.MIN_SAFE_INTEGER) && integer <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(integer) : integer};
  }
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(plain)) {
    const value = Number(plain);
    // Out of float64 range is a parse error in Go, which leaves the text a string.
    if (Number.isFinite(value)) return {tag: 'float', value};
  }
  return {tag: 'str', value: text};
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** strconv.ParseInt(s, 0, 64), falling back to ParseUint(s, 0, 64) as yaml.v3 does. */
function parseGoInt(s: string): bigint | undefined {
  const match = /^([-+]?)(0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (match === null) return undefined;
  const [, sign, digits] = match;
  let magnitude: bigint;
  if (/^0[bBoOxX]/.test(digits)) magnitude = BigInt(`0${digits[1].toLowerCase()}${digits.slice(2)}`);
  else if (digits.startsWith('0')) magnitude = digits.length === 1 ? 0n : BigInt(`0o${digits.slice(1)}`);
  else magnitude = BigInt(digits);
  const value = sign === '-' ? -magnitude : magnitude;
  if (value >= INT64_MIN && value <= INT64_MAX) return value;
  // ParseUint takes no sign.
  return sign === '' && value <= UINT64_MAX ? value : undefined;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** yaml.v3's timestamp forms: date, or date and time with `T`/`t` and a zone, or with a space and none. */
function isGoTimestamp(text: string): boolean {
  const match =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?(?:Z|[-+]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?))?$/.exec(
      text,
    );
  if (match === null) return false;
  const [year, month, day] = match.slice(1, 4).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (month < 1 || month > 12 || day < 1 || day > (month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1])) return false;
  const [hour, minute, second] = (match[4] === undefined ? match.slice(7, 10) : match.slice(4, 7)).map(Number);
  return match[4] === undefined && match[7] === undefined ? true : hour < 24 && minute < 60 && second < 60;
}

/** YAML 1.1 sexagesimal numbers (`1:20`), which yaml.v3 quotes for older parsers. */
function isBase60Float(text: string): boolean {
  return /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(text);
}

/** YAML 1.1 booleans, which yaml.v3 quotes for older parsers. */
function isOldBool(text: string): boolean {
  return /^(?:y|Y|yes|Yes|YES|on|On|ON|n|N|no|No|NO|off|Off|OFF)$/.test(text);
}
