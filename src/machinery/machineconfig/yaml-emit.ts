import * as yaml from 'js-yaml';

// YAML output laid out like Go's yaml.v3 encoder at the 4-space indent Talos
// uses: compact "- key: v" sequence items, literal blocks for multi-line
// strings, double quotes when quoting is needed. js-yaml decides *whether* a
// scalar needs quoting; the layout is ours because js-yaml has no compact
// sequence style at indent 4.

const INDENT = 4;

type Collection = Record<string, unknown> | unknown[];

function isNonEmptyCollection(value: unknown): value is Collection {
  if (Array.isArray(value)) return value.length > 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}

function usesLiteralBlock(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.includes('\n') &&
    !value.startsWith(' ') &&
    // eslint-disable-next-line no-control-regex
    !/[\t\r\x00-\x08\x0b-\x1f\x7f]/.test(value) &&
    !value.split('\n').some((line) => line.endsWith(' '))
  );
}

function inlineScalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object') return '{}';
  if (typeof value !== 'string') return String(value);
  const dumped = yaml.dump(value, { lineWidth: -1 }).trimEnd();
  return dumped.startsWith("'") || dumped.startsWith('"') || dumped.includes('\n') ? JSON.stringify(value) : dumped;
}

function literalBlock(value: string, contentColumn: number): string[] {
  const chomping = !value.endsWith('\n') ? '|-' : value.endsWith('\n\n') ? '|+' : '|';
  const body = value.endsWith('\n') ? value.slice(0, -1) : value;
  const pad = ' '.repeat(contentColumn);
  return [chomping, ...body.split('\n').map((line) => (line === '' ? '' : pad + line))];
}

/** `lead` is the text before the value ("key:" or "-"), printed at `column`; nested content goes to `childColumn`. */
function valueLines(lead: string, value: unknown, column: number, childColumn: number): string[] {
  const pad = ' '.repeat(column);
  if (usesLiteralBlock(value)) {
    const [header, ...body] = literalBlock(value, childColumn);
    return [`${pad}${lead} ${header}`, ...body];
  }
  if (!isNonEmptyCollection(value)) return [`${pad}${lead} ${inlineScalar(value)}`];
  if (lead === '-') {
    // Compact form: the first line of the nested block shares the dash's line.
    const nested = Array.isArray(value) ? sequenceLines(value, column + 2) : mappingLines(value, column + 2, childColumn);
    nested[0] = `${pad}- ${nested[0].slice(column + 2)}`;
    return nested;
  }
  const nested = Array.isArray(value)
    ? sequenceLines(value, childColumn)
    : mappingLines(value, childColumn, childColumn + INDENT);
  return [`${pad}${lead}`, ...nested];
}

function mappingLines(value: Record<string, unknown>, keyColumn: number, childColumn: number): string[] {
  return Object.entries(value).flatMap(([key, item]) =>
    valueLines(`${inlineScalar(key)}:`, item, keyColumn, childColumn),
  );
}

function sequenceLines(value: unknown[], dashColumn: number): string[] {
  return value.flatMap((item) => valueLines('-', item, dashColumn, dashColumn + INDENT));
}

/** Renders a plain JSON-like value (mapping at the top) as YAML text ending in a newline. */
export function toGoYAML(value: Record<string, unknown>): string {
  return mappingLines(value, 0, INDENT).join('\n') + '\n';
}
