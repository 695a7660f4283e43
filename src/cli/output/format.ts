// The -o/--output values every data-printing command accepts.
import {CliError, EXIT_USAGE} from '../errors.js';
import {compileJsonPath, JsonPathSyntaxError} from '../jsonpath.js';

export type OutputFormat = {kind: 'table'} | {kind: 'yaml'} | {kind: 'json'} | {kind: 'ndjson'} | {kind: 'jsonpath'; template: string};

/** For help and completion; `jsonpath` is written `jsonpath=<template>`. */
export const OUTPUT_FORMAT_NAMES = ['table', 'yaml', 'json', 'ndjson', 'jsonpath'] as const;

const JSONPATH_PREFIX = 'jsonpath=';
const EXAMPLE = "-o jsonpath='{.spec.x}'";

export function parseOutputFormat(value: string): OutputFormat {
  switch (value) {
    case 'table':
    case 'yaml':
    case 'json':
    case 'ndjson':
      return {kind: value};
    case 'jsonpath':
      throw new CliError(`output format "jsonpath" is not supported without a template: use ${EXAMPLE}`, EXIT_USAGE);
  }
  if (!value.startsWith(JSONPATH_PREFIX)) {
    throw new CliError(`output format "${value}" is not supported: use one of table, yaml, json, ndjson or ${EXAMPLE}`, EXIT_USAGE);
  }
  const template = value.slice(JSONPATH_PREFIX.length);
  if (!template.includes('{')) {
    // Without braces the whole template is literal text, printed unchanged for every item.
    const path = template.trim() === '' ? '.spec.x' : template.startsWith('.') ? template : `.${template}`;
    throw new CliError(`-o ${value}: the template has no {...} expression; write the path in braces: -o jsonpath='{${path}}'`, EXIT_USAGE);
  }
  try {
    compileJsonPath(template);
  } catch (err) {
    if (err instanceof JsonPathSyntaxError) throw new CliError(`-o ${value}: ${err.message}`, EXIT_USAGE);
    throw err;
  }
  return {kind: 'jsonpath', template};
}
