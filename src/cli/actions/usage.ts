import type UsageCommand from '../commands/usage.js';
import type {InvocationOf} from '../base-command.js';
import {CliError, EXIT_FAILURE, EXIT_USAGE} from '../errors.js';
import {fanOut, type NodeResult} from '../fanout.js';
import {quoteInput} from '../quote.js';
import type {RunContext} from '../runtime.js';
import {parseInt32Flag} from './list.js';

/**
 * talosctl's `usage`: SIZE NAME (NODE SIZE NAME with several nodes), header with the first entry,
 * the table printed at the end as talosctl's tabwriter is; entry errors after it.
 */
export default async function usage({flags, argv}: InvocationOf<typeof UsageCommand>, ctx: RunContext): Promise<NodeResult<number>[]> {
  const depth = parseInt32Flag('-d/--depth', flags.depth);
  if (depth < 0) throw new CliError(`-d/--depth ${depth}: the depth counts levels below each path, 0 or more`, EXIT_USAGE, ['leave -d out for the paths themselves only']);
  if (!/^[+-]?\d+$/.test(flags.threshold)) throw new CliError(`-t/--threshold ${quoteInput(flags.threshold)}: not a whole number of bytes`, EXIT_USAGE);
  const threshold = BigInt(flags.threshold);
  if (threshold > 2n ** 63n - 1n || threshold < -(2n ** 63n)) throw new CliError(`-t/--threshold ${flags.threshold}: out of range for an int64`, EXIT_USAGE);
  const table = flags.output === 'table';
  const format = table ? undefined : (await import('../output/format.js')).parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [{MachineServiceService}, view, {humanizeBytes}, {renderTable}, {escapeControls}] = await Promise.all([
    import('../../machinery/api/machine/machine.js'), import('../output/files-view.js'), import('../output/humanize.js'), import('../output/table.js'), import('../quote.js'),
  ]);
  const paths = argv.length > 0 ? argv : ['/'];
  const request = {recursionDepth: depth + 1, all: flags.all, threshold, paths};
  const multipleNodes = nodes.length > 1;
  const rows: string[][] = [];
  const records: import('../output/files-view.js').UsageRecord[] = [];
  const entryErrors: string[] = [];
  const results = await ctx.withClient(session, (client) =>
    fanOut(nodes, async (node) => {
      let count = 0;
      for await (const info of client.serverStream(MachineServiceService.diskUsage, request, node, 'first-answer')) {
        if (info.metadata?.error) throw new Error(info.metadata.error);
        const from = info.metadata?.hostname || node;
        if (info.error) {
          entryErrors.push(`${from}: ${escapeControls(info.error)}`);
          continue;
        }
        count++;
        const size = Number(info.size);
        if (format) records.push({node: from, name: info.name, relativeName: info.relativeName, size});
        else {
          const cells = [flags.humanize ? humanizeBytes(size) : String(size), view.shownName(info.relativeName)];
          rows.push(multipleNodes ? [from, ...cells] : cells);
        }
      }
      return count;
    }),
  );
  if (format) (await import('../output/structured.js')).writeStructured(format, ctx.out, records);
  else if (rows.length > 0) ctx.out.write(renderTable(multipleNodes ? ['NODE', 'SIZE', 'NAME'] : ['SIZE', 'NAME'], rows));
  for (const e of entryErrors) ctx.err.write(`${e}\n`);
  ctx.reportNodeErrors(results);
  if (entryErrors.length > 0 && !process.exitCode) process.exitCode = EXIT_FAILURE;
  return results;
}
