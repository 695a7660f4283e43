// Kubernetes-style JSONPath templates (the language of `kubectl -o jsonpath` and of resource
// definition print columns), covering what talosctl users write:
//   text and {expressions}; .a.b  ['key.with.dots']  [0] [-1] [1:3] [:] [*] .*  ..name  @  $
//   [?(@.x=="y")] with == != < > <= >= (or [?(@.x)] for "has x"); {range .items[*]}...{end};
//   {"\n"} string literals; a,b unions.
import {formatGoTimestamp} from '../machinery/yaml-emit.js';
import {encodeJson} from './output/json.js';

export interface JsonPathOptions {
  /** A step that finds nothing (missing key, index out of range, not an array) yields no value instead of an error. */
  allowMissingKeys?: boolean;
}

export interface CompiledJsonPath {
  readonly template: string;
  /**
   * One group of values per template part, in order: a text part gives its text, an expression
   * its matches, and a {range} its body's groups for each item.
   */
  execute(data: unknown, options?: JsonPathOptions): unknown[][];
}

/** A template that doesn't parse; `column` is 1-based. */
export class JsonPathSyntaxError extends Error {
  constructor(readonly template: string, readonly column: number, readonly reason: string) {
    super(`invalid jsonpath template: ${reason} at column ${column}\n  ${template}\n  ${' '.repeat(column - 1)}^`);
  }
}

/** An expression that found nothing where something was required, e.g. a missing key. */
export class JsonPathEvalError extends Error {}

type ComparisonOperator = '==' | '!=' | '<' | '>' | '<=' | '>=';

type Step =
  | {kind: 'field'; name: string}
  | {kind: 'wildcard'}
  | {kind: 'recursive'}
  | {kind: 'index'; index: number}
  | {kind: 'slice'; start?: number; end?: number; step: number}
  | {kind: 'union'; steps: Step[]}
  | {kind: 'filter'; left: Path; operator?: ComparisonOperator; right?: Path};

type Path = {origin: 'root' | 'current'; steps: Step[]} | {origin: 'literal'; value: unknown};

/** Comma-separated alternatives; their matches are concatenated. */
interface Expression {
  source: string;
  paths: Path[];
}

type TemplatePart =
  | {kind: 'text'; text: string}
  | {kind: 'expression'; expression: Expression}
  | {kind: 'range'; expression: Expression; body: TemplatePart[]};

export function compileJsonPath(template: string): CompiledJsonPath {
  const parts = new TemplateParser(template).parse();
  return {
    template,
    execute: (data, options = {}) => {
      const groups: unknown[][] = [];
      const run = (list: TemplatePart[], current: unknown): void => {
        for (const part of list) {
          if (part.kind === 'text') groups.push([part.text]);
          else if (part.kind === 'expression') groups.push(evaluateExpression(part.expression, data, current, options));
          else for (const item of evaluateExpression(part.expression, data, current, options)) run(part.body, item);
        }
      };
      run(parts, data);
      return groups;
    },
  };
}

/**
 * How `kubectl` (and talosctl's print columns) print a template: the values of one expression
 * joined by a space, maps and lists as compact JSON, everything else as plain text.
 */
export function formatJsonPathResult(results: unknown[][]): string {
  return results.map((group) => group.map((value) => valueText(value, '')).join(' ')).join('');
}

/**
 * How `talosctl -o jsonpath=` prints: every value on its own line, maps and lists as JSON
 * indented by 4 spaces.
 */
export function formatJsonPathResultLines(results: unknown[][]): string {
  return results.flat().map((value) => valueText(value, '    ') + '\n').join('');
}

function valueText(value: unknown, jsonIndent: string): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return formatGoTimestamp(value);
  if (typeof value === 'object') return encodeJson(value, jsonIndent);
  return String(value);
}

// ---- parsing ----

// Characters that end a field name; a backslash lets a name contain them (`.a\.b` is key "a.b").
const FIELD_TERMINATORS = new Set([...' \t\r\n.[](){},=!<>"\'&|*@$\\']);
// Longest first, so "<=" isn't read as "<".
const OPERATORS: ComparisonOperator[] = ['==', '!=', '<=', '>=', '<', '>'];
const STRING_ESCAPES: Record<string, string> = {n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", '/': '/'};

class TemplateParser {
  private pos = 0;
  /** index of the "}" closing the expression being parsed */
  private end = 0;

  constructor(private readonly template: string) {}

  parse(): TemplatePart[] {
    const root: TemplatePart[] = [];
    const openRanges: {outer: TemplatePart[]; at: number}[] = [];
    let parts = root;
    while (this.pos < this.template.length) {
      const open = this.template.indexOf('{', this.pos);
      if (open === -1) {
        parts.push({kind: 'text', text: this.template.slice(this.pos)});
        break;
      }
      if (open > this.pos) parts.push({kind: 'text', text: this.template.slice(this.pos, open)});
      this.end = this.findClose(open);
      this.pos = open + 1;
      this.skipSpaces();
      if (this.keyword('range')) {
        const range: TemplatePart = {kind: 'range', expression: this.parseExpression(open), body: []};
        parts.push(range);
        openRanges.push({outer: parts, at: open});
        parts = range.body;
      } else if (this.keyword('end')) {
        this.skipSpaces();
        if (this.pos !== this.end) this.fail('unexpected text after "end"');
        const closed = openRanges.pop();
        if (!closed) this.fail('{end} without a matching {range}', open);
        parts = closed.outer;
      } else {
        parts.push({kind: 'expression', expression: this.parseExpression(open)});
      }
      this.pos = this.end + 1;
    }
    const unclosed = openRanges.pop();
    if (unclosed) this.fail('{range} is never closed with {end}', unclosed.at);
    return root;
  }

  private fail(reason: string, at = this.pos): never {
    throw new JsonPathSyntaxError(this.template, at + 1, reason);
  }

  /** The character at the cursor, or "" at the end of the expression. */
  private peek(): string {
    return this.pos < this.end ? this.template[this.pos] : '';
  }

  private skipSpaces(): void {
    while (/^\s$/.test(this.peek())) this.pos++;
  }

  private expect(text: string, what: string): void {
    this.skipSpaces();
    if (!this.template.startsWith(text, this.pos) || this.pos >= this.end) this.fail(`expected ${what}`);
    this.pos += text.length;
  }

  /** Consumes `word` when it stands alone (followed by a space or the closing brace). */
  private keyword(word: string): boolean {
    if (!this.template.startsWith(word, this.pos)) return false;
    const after = this.pos + word.length;
    if (after !== this.end && !/\s/.test(this.template[after])) return false;
    this.pos = after;
    return true;
  }

  /** The "}" that closes the "{" at `open`, skipping quoted strings. */
  private findClose(open: number): number {
    for (let i = open + 1; i < this.template.length; i++) {
      const c = this.template[i];
      if (c === '"' || c === "'") {
        const start = i;
        for (i++; i < this.template.length && this.template[i] !== c; i++) if (this.template[i] === '\\') i++;
        if (i >= this.template.length) this.fail('unterminated string', start);
      } else if (c === '}') {
        return i;
      } else if (c === '{') {
        this.fail('"{" inside an expression; close the previous one with "}" first', i);
      }
    }
    return this.fail('missing "}" to close this expression', open);
  }

  private parseExpression(open: number): Expression {
    this.skipSpaces();
    if (this.pos === this.end) this.fail('empty expression; write a path such as {.metadata.id}', open);
    const paths: Path[] = [];
    for (;;) {
      paths.push(this.parsePath());
      this.skipSpaces();
      if (this.pos === this.end) break;
      if (this.peek() !== ',') this.fail(`unexpected "${this.peek()}"`);
      this.pos++;
    }
    return {source: this.template.slice(open, this.end + 1), paths};
  }

  private parsePath(): Path {
    this.skipSpaces();
    const c = this.peek();
    if (c === '"' || c === "'") return {origin: 'literal', value: this.parseQuoted()};
    if (c === '@' || c === '$') {
      this.pos++;
      return {origin: c === '$' ? 'root' : 'current', steps: this.parseSteps()};
    }
    if (c === '.' || c === '[') return {origin: 'current', steps: this.parseSteps()};
    const rest = this.template.slice(this.pos, this.end);
    const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
    if (number) {
      this.pos += number[0].length;
      return {origin: 'literal', value: Number(number[0])};
    }
    const word = /^(true|false|null)\b/.exec(rest);
    if (word) {
      this.pos += word[0].length;
      return {origin: 'literal', value: JSON.parse(word[0])};
    }
    const found = c === '' ? 'the end of the expression' : `"${c}"`;
    return this.fail(`unexpected ${found}; a path starts with "." or "@", for example {.metadata.id}`);
  }

  private parseSteps(): Step[] {
    const steps: Step[] = [];
    for (;;) {
      if (this.template.startsWith('..', this.pos) && this.pos + 1 < this.end) {
        this.pos += 2;
        steps.push({kind: 'recursive'});
        if (this.peek() === '[') continue;
        if (this.peek() === '*') {
          this.pos++;
          steps.push({kind: 'wildcard'});
        } else {
          steps.push({kind: 'field', name: this.parseFieldName()});
        }
      } else if (this.peek() === '.') {
        this.pos++;
        if (this.peek() === '*') {
          this.pos++;
          steps.push({kind: 'wildcard'});
        } else if (this.peek() !== '' && (!FIELD_TERMINATORS.has(this.peek()) || this.peek() === '\\')) {
          steps.push({kind: 'field', name: this.parseFieldName()});
        }
        // a lone "." (as in {.}) is the current value itself
      } else if (this.peek() === '[') {
        steps.push(this.parseBracket());
      } else {
        return steps;
      }
    }
  }

  private parseFieldName(): string {
    let name = '';
    while (this.peek() !== '' && (!FIELD_TERMINATORS.has(this.peek()) || this.peek() === '\\')) {
      if (this.peek() === '\\') this.pos++;
      if (this.peek() === '') this.fail('a "\\" must be followed by the character it escapes');
      name += this.peek();
      this.pos++;
    }
    if (name === '') this.fail('expected a field name');
    return name;
  }

  private parseQuoted(): string {
    const quote = this.peek();
    const start = this.pos;
    let text = '';
    for (this.pos++; this.peek() !== quote; this.pos++) {
      if (this.peek() === '') this.fail('unterminated string', start);
      if (this.peek() !== '\\') {
        text += this.peek();
        continue;
      }
      this.pos++;
      const escaped = this.peek();
      if (Object.hasOwn(STRING_ESCAPES, escaped)) {
        text += STRING_ESCAPES[escaped];
      } else if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(this.template.slice(this.pos + 1, this.pos + 5))) {
        text += String.fromCharCode(parseInt(this.template.slice(this.pos + 1, this.pos + 5), 16));
        this.pos += 4;
      } else {
        this.fail(`unknown escape "\\${escaped}" in string; use \\n, \\t, \\r, \\\\, \\" or \\uXXXX`);
      }
    }
    this.pos++;
    return text;
  }

  private parseBracket(): Step {
    const open = this.pos;
    this.pos++;
    this.skipSpaces();
    if (this.peek() === '*') {
      this.pos++;
      this.expect(']', '"]" after "[*"');
      return {kind: 'wildcard'};
    }
    if (this.peek() === '?') {
      this.pos++;
      this.expect('(', '"(" after "[?", as in [?(@.type=="Ready")]');
      const filter = this.parseFilter();
      this.expect(')', '")" to close the filter');
      this.expect(']', '"]" to close the filter');
      return filter;
    }
    const steps: Step[] = [];
    for (;;) {
      this.skipSpaces();
      steps.push(this.peek() === '"' || this.peek() === "'" ? {kind: 'field', name: this.parseQuoted()} : this.parseIndexOrSlice());
      this.skipSpaces();
      if (this.peek() === ']') break;
      if (this.peek() !== ',') this.fail(this.peek() === '' ? `missing "]" for the "[" at column ${open + 1}` : 'expected "," or "]"');
      this.pos++;
    }
    this.pos++;
    return steps.length === 1 ? steps[0] : {kind: 'union', steps};
  }

  private parseIndexOrSlice(): Step {
    const integer = (): number | undefined => {
      const match = /^\s*(-?\d+)\s*/.exec(this.template.slice(this.pos, this.end));
      if (!match) return undefined;
      this.pos += match[0].length;
      return Number(match[1]);
    };
    const start = integer();
    if (this.peek() !== ':') {
      if (start === undefined) this.fail('expected an index (0, -1), a slice (1:3), "*", a quoted key or a filter ?(...)');
      return {kind: 'index', index: start};
    }
    this.pos++;
    const end = integer();
    let step = 1;
    if (this.peek() === ':') {
      this.pos++;
      const at = this.pos;
      step = integer() ?? 1;
      if (step <= 0) this.fail('a slice step must be greater than 0', at);
    }
    return {kind: 'slice', start, end, step};
  }

  private parseFilter(): Step {
    const left = this.parsePath();
    this.skipSpaces();
    const operator = OPERATORS.find((op) => this.template.startsWith(op, this.pos) && this.pos < this.end);
    if (!operator) return {kind: 'filter', left};
    this.pos += operator.length;
    return {kind: 'filter', left, operator, right: this.parsePath()};
  }
}

// ---- evaluation ----

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function describeType(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isObject(value)) return 'a map';
  return `the ${typeof value} ${JSON.stringify(typeof value === 'bigint' ? value.toString() : value)}`;
}

function evaluateExpression(expression: Expression, root: unknown, current: unknown, options: JsonPathOptions): unknown[] {
  try {
    return expression.paths.flatMap((path) => evaluatePath(path, root, current, options));
  } catch (err) {
    if (err instanceof JsonPathEvalError) throw new JsonPathEvalError(`${expression.source}: ${err.message}`);
    throw err;
  }
}

function evaluatePath(path: Path, root: unknown, current: unknown, options: JsonPathOptions): unknown[] {
  if (path.origin === 'literal') return [path.value];
  let values = [path.origin === 'root' ? root : current];
  for (const step of path.steps) values = applyStep(step, values, root, options);
  return values;
}

function applyStep(step: Step, input: unknown[], root: unknown, options: JsonPathOptions): unknown[] {
  // Null and absent values have nothing below them; like kubectl, they are skipped silently.
  const values = input.filter((v) => v !== null && v !== undefined);
  const missing = (reason: string): unknown[] => {
    if (options.allowMissingKeys) return [];
    throw new JsonPathEvalError(reason);
  };
  switch (step.kind) {
    case 'field': {
      const found = values.filter((v) => isObject(v) && Object.hasOwn(v, step.name) && v[step.name] !== undefined);
      if (found.length === 0 && input.length > 0) return missing(`key "${step.name}" is not found`);
      return found.map((v) => (v as Record<string, unknown>)[step.name]);
    }
    case 'wildcard':
      return values.flatMap((v) => (Array.isArray(v) ? v : isObject(v) ? Object.values(v) : []));
    case 'recursive':
      return values.flatMap(withDescendants);
    case 'index':
      return values.flatMap((v) => {
        if (!Array.isArray(v)) return missing(`[${step.index}] needs a list, found ${describeType(v)}`);
        const at = step.index < 0 ? v.length + step.index : step.index;
        if (at < 0 || at >= v.length) return missing(`index ${step.index} is out of range: the list has ${v.length} items`);
        return [v[at]];
      });
    case 'slice':
      return values.flatMap((v) => {
        if (!Array.isArray(v)) return missing(`a slice needs a list, found ${describeType(v)}`);
        const bound = (n: number | undefined, otherwise: number) =>
          n === undefined ? otherwise : Math.min(v.length, Math.max(0, n < 0 ? v.length + n : n));
        return v.slice(bound(step.start, 0), bound(step.end, v.length)).filter((_, i) => i % step.step === 0);
      });
    case 'union':
      return step.steps.flatMap((s) => applyStep(s, values, root, options));
    case 'filter':
      return values.flatMap((v) => {
        if (!Array.isArray(v)) return missing(`a filter needs a list, found ${describeType(v)}`);
        return v.filter((item) => filterMatches(step, root, item));
      });
  }
}

function withDescendants(value: unknown): unknown[] {
  const children = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
  if (children.length === 0) return [];
  return [value, ...children.flatMap(withDescendants)];
}

function filterMatches(filter: Extract<Step, {kind: 'filter'}>, root: unknown, item: unknown): boolean {
  // Items that lack the compared field simply don't match.
  const lenient = {allowMissingKeys: true};
  const lefts = evaluatePath(filter.left, root, item, lenient);
  if (!filter.operator || !filter.right) return lefts.length > 0;
  const rights = evaluatePath(filter.right, root, item, lenient);
  return lefts.some((l) => rights.some((r) => compare(l, r, filter.operator!)));
}

function compare(left: unknown, right: unknown, operator: ComparisonOperator): boolean {
  const numeric = (v: unknown) => (typeof v === 'bigint' ? Number(v) : v);
  const a = numeric(left);
  const b = numeric(right);
  const ordered = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  switch (operator) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return ordered && (a as number) < (b as number);
    case '>':
      return ordered && (a as number) > (b as number);
    case '<=':
      return ordered && (a as number) <= (b as number);
    case '>=':
      return ordered && (a as number) >= (b as number);
  }
}
