import type ListCommand from '../commands/list.js';
import type {InvocationOf} from '../base-command.js';
import {CliError, EXIT_FAILURE, EXIT_USAGE} from '../errors.js';
import {fanOut, type NodeResult} from '../fanout.js';
import {quoteInput} from '../quote.js';
import type {RunContext} from '../runtime.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** An int32 flag value (`-d`), as cobra's Int32 parses it. */
export function parseInt32Flag(flag: string, text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new CliError(`${flag} ${quoteInput(text)}: not a whole number`, EXIT_USAGE);
  const value = Number(text);
  if (value < INT32_MIN || value > INT32_MAX) throw new CliError(`${flag} ${text}: out of range for an int32`, EXIT_USAGE);
  return value;
}

/** `-t` letters as talosctl reads them (`-t fl`, `--type=f,l`): f, d, l/L. */
export function parseListTypes(values: readonly string[]): number[] {
  const types: number[] = [];
  for (const value of values) {
    for (const letter of value) {
      if (letter === 'f') types.push(0);
      else if (letter === 'd') types.push(1);
      else if (letter === 'l' || letter === 'L') types.push(2);
      else throw new CliError(`invalid file type: ${letter}`, EXIT_USAGE, ['-t takes f (regular file), d (directory) and l (symbolic link), e.g. -t fl']);
    }
  }
  return types;
}

interface EntryError {
  node: string;
  name: string;
  error: string;
}

/**
 * talosctl's `list`: one node prints plain names as they arrive; several nodes, or -l, a table
 * (header with the first entry, printed at the end as talosctl's tabwriter is). Entries the node
 * could not read are reported after the listing as `<node>: error reading file <name>: <error>`.
 */
export default async function list({flags, args}: InvocationOf<typeof ListCommand>, ctx: RunContext): Promise<NodeResult<number>[]> {
  const depth = parseInt32Flag('-d/--depth', flags.depth);
  if (flags.recurse && depth !== 1) throw new CliError('only one of flags --recurse and --depth can be specified at the same time', EXIT_USAGE);
  if (depth < 1) {
    throw new CliError(`-d/--depth ${depth}: the depth counts levels below the path, at least 1`, EXIT_USAGE, ['use -r to list every level']);
  }
  const types = parseListTypes(flags.type ?? []);
  const table = flags.output === 'table';
  const format = table ? undefined : (await import('../output/format.js')).parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [{MachineServiceService}, view, {renderTable}, {escapeControls}] = await Promise.all([
    import('../../machinery/api/machine/machine.js'), import('../output/files-view.js'), import('../output/table.js'), import('../quote.js'),
  ]);
  const request = {
    root: args.path ?? '/',
    recurse: flags.recurse || depth > 1,
    recursionDepth: flags.recurse ? -1 : depth,
    types,
    reportXattrs: flags.long,
  };
  const multipleNodes = nodes.length > 1;
  const rows: string[][] = [];
  const records: import('../output/files-view.js').FileRecord[] = [];
  const entryErrors: EntryError[] = [];
  const results = await ctx.withClient(session, (client) =>
    fanOut(nodes, async (node) => {
      let count = 0;
      for await (const info of client.serverStream(MachineServiceService.list, request, node, 'first-answer')) {
        if (info.metadata?.error) throw new Error(info.metadata.error);
        const from = info.metadata?.hostname || node;
        if (info.error) {
          entryErrors.push({node: from, name: info.name, error: info.error});
          continue;
        }
        count++;
        const label = info.xattrs.find((x) => x.name === 'security.selinux');
        const record = {
          node: from,
          name: info.name,
          relativeName: info.relativeName,
          size: Number(info.size),
          mode: view.goFileModeString(info.mode),
          uid: info.uid,
          gid: info.gid,
          modified: new Date(Number(info.modified) * 1000).toISOString().replace('.000Z', 'Z'),
          isDir: info.isDir,
          ...(info.link ? {link: info.link} : {}),
          ...(label ? {label: Buffer.from(label.data).toString('utf8').replace(/^[\0\n]+|[\0\n]+$/g, '')} : {}),
        };
        if (format) records.push(record);
        else if (flags.long) rows.push(view.longRow(record, flags.humanize, Number(info.modified)));
        else if (multipleNodes) rows.push([from, view.shownName(info.relativeName)]);
        else ctx.out.write(`${view.shownName(info.relativeName)}\n`);
      }
      return count;
    }),
  );
  if (format) (await import('../output/structured.js')).writeStructured(format, ctx.out, records);
  else if (rows.length > 0) ctx.out.write(renderTable(flags.long ? view.LONG_HEADER : ['NODE', 'NAME'], rows));
  for (const e of entryErrors) ctx.err.write(`${e.node}: error reading file ${escapeControls(e.name)}: ${escapeControls(e.error)}\n`);
  ctx.reportNodeErrors(results);
  if (entryErrors.length > 0 && !process.exitCode) process.exitCode = EXIT_FAILURE;
  return results;
}
