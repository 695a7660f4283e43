import type LogsCommand from '../commands/logs.js';
import type {InvocationOf} from '../base-command.js';
import {durationFlag} from '../duration.js';
import {CliError, EXIT_USAGE} from '../errors.js';
import {fanOut, type NodeResult} from '../fanout.js';
import {stdoutWriter} from '../output/stdio.js';
import {quoteInput} from '../quote.js';
import type {RunContext} from '../runtime.js';

const INT32_MAX = 2 ** 31 - 1;

/** `--tail`: an int32, -1 (every line) or a count of lines from the end. */
export function parseTail(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) {
    throw new CliError(`--tail ${quoteInput(text)}: not a whole number; use a count of lines, e.g. --tail 20`, EXIT_USAGE);
  }
  const value = Number(text);
  if (value === -1) return value;
  if (value < 0) {
    throw new CliError(`--tail ${text}: the count of lines cannot be negative; use --tail ${text.slice(1).replace(/^0+(?=\d)/, '')} for the last lines, or leave --tail out for every line`, EXIT_USAGE);
  }
  if (value > INT32_MAX) throw new CliError(`--tail ${text}: at most ${INT32_MAX} lines`, EXIT_USAGE);
  return value;
}

/**
 * talosctl's `logs`: one stream per node, lines printed as they complete, `<node>: ` first. The
 * streams are read only as fast as stdout takes the lines: when a write is refused (the reader
 * is behind) every stream waits for stdout to drain, so gRPC's flow control slows the nodes down.
 */
export default async function logs({flags, args}: InvocationOf<typeof LogsCommand>, ctx: RunContext): Promise<NodeResult<void>[]> {
  const tailLines = parseTail(flags.tail);
  let sinceMs: number | undefined;
  if (flags.since !== undefined) {
    sinceMs = durationFlag('since', flags.since);
    if (!flags.kubernetes) {
      throw new CliError('--since needs timestamped lines: service logs carry no timestamps', EXIT_USAGE, [
        'container logs (-k) do: osctl logs -k <id> --since 10m',
      ]);
    }
  }
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, {criLineTime, NodeLinePrinter}] = await Promise.all([import('../node-api.js'), import('../output/log-lines.js')]);
  if (flags.follow) (await import('../output/reader-watch.js')).exitWhenReaderLeaves();
  const cutoff = sinceMs === undefined ? undefined : Date.now() - sinceMs;
  const keepLine = cutoff === undefined ? undefined : (line: Buffer) => (criLineTime(line) ?? Infinity) >= cutoff;
  const stdout = stdoutWriter();
  const printer = new NodeLinePrinter(stdout, keepLine);
  const options = {id: args.id, kubernetes: flags.kubernetes, follow: flags.follow, tailLines};
  const results = await ctx.withClient(session, (client) =>
    fanOut(nodes, (node) => ctx.reportingFailure(node, async () => {
      for await (const data of api.openLogs(client, node, options)) {
        const chunk = api.logChunk(data, node);
        if (!printer.push(chunk.node, chunk.bytes)) await stdout.drained();
      }
    })),
  );
  printer.flushLeftovers();
  const hint = missingLogHint(results, flags.kubernetes);
  if (hint) ctx.err.write(`  hint: ${hint}\n`);
  ctx.setNodeExitCode(results);
  return results;
}

/** What to try when a node knows no log by that id (the node's own texts, items 16 and 21). */
function missingLogHint(results: readonly NodeResult<void>[], kubernetes: boolean): string | undefined {
  const messages = results.map((r) => r.error?.message ?? '');
  if (messages.some((m) => / was not registered$/.test(m))) {
    return 'service logs are named by service id (`osctl service` lists them) or controller-runtime; for a container\'s log use -k';
  }
  if (kubernetes && messages.some((m) => /container ".*" not found$/.test(m))) {
    return '`osctl containers -k` lists the container ids; `<namespace>/<pod>:<container>` also works';
  }
  // `ns/pod` names the pod's sandbox, which has no log of its own (item A-C5).
  if (kubernetes && messages.some((m) => /no log available$/.test(m))) {
    return '`<namespace>/<pod>` is the pod\'s sandbox, which has no log: name a container, `<namespace>/<pod>:<container>` (`osctl containers -k` lists them)';
  }
  return undefined;
}
