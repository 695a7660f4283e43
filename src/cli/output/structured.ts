// Structured output (-o json|ndjson|yaml|jsonpath=) of plain objects, shared by `get` and by
// commands that print something other than resources (version, config info, ...).
import {CliError, EXIT_FAILURE} from '../errors.js';
import {compileJsonPath, formatJsonPathResultLines, JsonPathEvalError} from '../jsonpath.js';
import type {OutputFormat} from './format.js';
import {encodeJson} from './json.js';
import type {Sink} from './types.js';
import {toGoYaml} from '../../machinery/yaml-emit.js';

/**
 * Text of one item after another: json is pretty-printed (4 spaces) and concatenated as talosctl
 * does, ndjson is one compact object per line, yaml documents are separated by `---`, and a
 * jsonpath template prints each match on its own line. `itemName` names the item in errors.
 */
export function structuredPrinter(format: OutputFormat): (item: unknown, itemName?: string) => string {
  switch (format.kind) {
    case 'json':
      return (item) => encodeJson(item, '    ') + '\n';
    case 'ndjson':
      return (item) => encodeJson(item) + '\n';
    case 'yaml': {
      let first = true;
      return (item) => {
        const separator = first ? '' : '---\n';
        first = false;
        return separator + toGoYaml(item);
      };
    }
    case 'jsonpath': {
      const path = compileJsonPath(format.template);
      return (item, itemName) => {
        try {
          return formatJsonPathResultLines(path.execute(item));
        } catch (err) {
          if (!(err instanceof JsonPathEvalError)) throw err;
          const where = itemName ? ` in ${itemName}` : '';
          throw new CliError(`-o jsonpath='${format.template}': ${err.message}${where}`, EXIT_FAILURE, [
            'print one item with -o yaml or -o json to see which fields it has',
          ]);
        }
      };
    }
    case 'table':
      throw new Error('structured output has no table form: commands render their tables with renderTable');
  }
}

export function writeStructured(format: OutputFormat, sink: Sink, items: object[]): void {
  const print = structuredPrinter(format);
  for (const item of items) sink.write(print(item));
}
