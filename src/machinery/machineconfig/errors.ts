// Error values produced by validation. Each problem is a leaf carrying the
// field it is about; groups reproduce how Talos nests and prints errors
// (hashicorp go-multierror lists, or Go errors.Join newline-joined lists).

export interface Problem {
  /** Field path inside the document, e.g. `machine.network.interfaces[0].routes[1].gateway`. */
  path: string;
  message: string;
}

export interface ProblemGroup {
  /** Text printed before the group's own text, e.g. `invalid machine node labels: `. */
  prefix: string;
  format: 'multierror' | 'joined';
  items: ProblemNode[];
}

export type ProblemNode = Problem | ProblemGroup;

/** hashicorp/go-multierror `ListFormatFunc`. */
export function formatMultiError(messages: string[]): string {
  if (messages.length === 1) return `1 error occurred:\n\t* ${messages[0]}\n\n`;
  return `${messages.length} errors occurred:\n\t${messages.map((m) => `* ${m}`).join('\n\t')}\n\n`;
}

/** The text Talos prints for one node. */
export function renderProblem(node: ProblemNode): string {
  if (!('items' in node)) return node.message;
  const texts = node.items.map(renderProblem);
  return node.prefix + (node.format === 'multierror' ? formatMultiError(texts) : texts.join('\n'));
}

/** Leaves of a node, each message carrying the prefixes of the groups around it. */
export function leafProblems(node: ProblemNode, prefix = ''): Problem[] {
  if (!('items' in node)) return [{ path: node.path, message: prefix + node.message }];
  return node.items.flatMap((item) => leafProblems(item, prefix + node.prefix));
}

/** A single-error parse failure (Talos parse errors are never lists); the message is Talos' wording. */
export class MachineConfigParseError extends Error {
  /** 1-based line of the offending key or value (or of its document), when known. */
  readonly line?: number;
  /** Field path inside the document, e.g. `machine.ca.crt`, when the error is about one field. */
  readonly path?: string;

  constructor(message: string, location: { line?: number; path?: string } = {}) {
    super(message);
    this.name = 'MachineConfigParseError';
    this.line = location.line;
    this.path = location.path;
  }
}
