import type ProcessesCommand from '../commands/processes.js';
import type {InvocationOf} from '../base-command.js';
import {cancelExitCode, cancelSignal} from '../cancel.js';
import type {OsClient} from '../client.js';
import {CliError, EXIT_USAGE} from '../errors.js';
import {fanOut, type NodeResult} from '../fanout.js';
import type {ProcessRecord, ProcessSort} from '../output/readouts-view.js';
import {quoteInput} from '../quote.js';
import type {RunContext, Session} from '../runtime.js';

type Results = NodeResult<ProcessRecord[][]>[];

/** How often -w asks the nodes again (talosctl's ticker). */
const WATCH_INTERVAL_MS = 1000;

function parseSort(value: string): ProcessSort {
  if (value === 'rss' || value === 'cpu') return value;
  throw new CliError(`-s/--sort ${quoteInput(value)}: sort by rss (resident memory) or cpu (CPU time)`, EXIT_USAGE);
}

/**
 * talosctl's `processes`: each node's answer sorted on its own, rows in tabwriter blocks flushed
 * after 500 ms of quiet; -o json|yaml once every node answered. -w: see watch().
 */
export default async function processes({flags}: InvocationOf<typeof ProcessesCommand>, ctx: RunContext): Promise<Results | void> {
  const sort = parseSort(flags.sort);
  const format = flags.output === 'table' ? undefined : (await import('../output/format.js')).parseOutputFormat(flags.output);
  if (flags.watch && format) throw new CliError('-w redraws a table: it does not combine with -o; drop one of them', EXIT_USAGE);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  if (flags.watch) return watch(ctx, session, nodes, sort);
  const [api, view, {QuietFlushTable}] = await Promise.all([
    import('../readout-api.js'), import('../output/readouts-view.js'), import('../output/table.js'),
  ]);
  const results = await ctx.withClient(session, (client) => {
    const printer = format ? undefined : new QuietFlushTable(ctx.out, view.PROCESSES_HEADER);
    return fanOut(nodes, async (node) => {
      const answers = await api.listProcesses(client, node);
      for (const answer of answers) printer?.add(view.processRows(answer, sort));
      return answers;
    }).finally(() => printer?.end());
  });
  if (format) {
    const {writeStructured} = await import('../output/structured.js');
    writeStructured(format, ctx.out, results.flatMap((r) => r.value ?? []).flatMap((answer) => view.sortProcesses(answer, sort)));
  }
  ctx.reportNodeErrors(results);
  return results;
}

async function askNodes(client: OsClient, nodes: string[]): Promise<Results> {
  const api = await import('../readout-api.js');
  return fanOut(nodes, (node) => api.listProcesses(client, node));
}

/** Every node's processes as one table (each answer sorted on its own), and a line per failed node. */
async function snapshot(results: Results, sort: ProcessSort): Promise<{table: string; errors: string[]}> {
  const [view, {renderTable}, {escapeControls}] = await Promise.all([
    import('../output/readouts-view.js'), import('../output/table.js'), import('../quote.js'),
  ]);
  const rows = results.flatMap((r) => r.value ?? []).flatMap((answer) => view.processRows(answer, sort));
  const errors = results.filter((r) => r.error).map((r) => `error from node ${r.node}: ${escapeControls(r.error!.message)}`);
  return {table: renderTable(view.PROCESSES_HEADER, rows), errors};
}

/**
 * -w. On a terminal, talosctl's refreshing view: the alternate screen, redrawn every second and
 * cut to the window; keys q and Ctrl-C end it (130 for Ctrl-C, as a signal would), c sorts by CPU,
 * r or m by memory. The terminal is restored however it ends. Into a pipe or file nothing is
 * animated: a whole table every second, tables separated by an empty line, until Ctrl-C or until
 * the reader goes away; failed nodes are reported on stderr each time.
 */
async function watch(ctx: RunContext, session: Session, nodes: string[], initialSort: ProcessSort): Promise<void> {
  const stdout = process.stdout;
  const interactive = stdout.isTTY === true;
  let sort = initialSort;
  const stop = new AbortController();
  const onCancel = () => stop.abort();
  cancelSignal.addEventListener('abort', onCancel, {once: true});
  let latest: Results | undefined;
  let lastFailed = false;
  /** Ctrl-C as a key (raw mode sends no SIGINT): 130, as the signal would end it. */
  let interrupted = false;

  const restore = interactive ? enterScreen() : undefined;
  const keys = interactive ? listenForKeys((key) => {
    if (key === 'q') stop.abort();
    else if (key === '\x03') {
      interrupted = true;
      stop.abort();
    } else if (key === 'c' || key === 'r' || key === 'm') {
      sort = key === 'c' ? 'cpu' : 'rss';
      void draw();
    }
  }) : undefined;
  const onResize = () => void draw();
  if (interactive) stdout.on('resize', onResize);
  if (!interactive) (await import('../output/reader-watch.js')).exitWhenReaderLeaves();

  async function draw(): Promise<void> {
    if (latest === undefined || stop.signal.aborted) return;
    const {table, errors} = await snapshot(latest, sort);
    if (stop.signal.aborted) return;
    const width = stdout.columns || 80;
    const height = stdout.rows || 24;
    const lines = [...table.split('\n').slice(0, -1), ...errors].slice(0, height).map((line) => line.slice(0, width));
    stdout.write(`\x1b[H${lines.join('\x1b[K\r\n')}\x1b[K\x1b[J`);
  }

  try {
    await ctx.withClient(session, async (client) => {
      let first = true;
      while (!stop.signal.aborted) {
        // q (or Ctrl-C in raw mode, which sends no SIGINT) ends the view at once, even while a node
        // is still to answer: leaving closes the client, which cancels the round's calls.
        const round = await unlessStopped(askNodes(client, nodes), stop.signal);
        if (round === undefined) break;
        latest = round;
        lastFailed = latest.some((r) => r.error);
        if (interactive) await draw();
        else {
          const {table} = await snapshot(latest, sort);
          ctx.out.write(`${first ? '' : '\n'}${table}`);
          for (const r of latest) if (r.error) ctx.reportNodeError(r.node, r.error);
        }
        first = false;
        await sleep(WATCH_INTERVAL_MS, stop.signal);
      }
    });
  } finally {
    cancelSignal.removeEventListener('abort', onCancel);
    if (interactive) stdout.off('resize', onResize);
    keys?.();
    restore?.();
  }
  // A watch ends by the user's choice; a node that failed in the last round still shows in the exit
  // code, unless Ctrl-C ended it.
  if (interrupted) process.exitCode = cancelExitCode();
  else if (lastFailed && latest) ctx.setNodeExitCode(latest);
}

/** What `work` resolves to, or undefined as soon as `signal` aborts (work then goes on unawaited; it must not reject). */
function unlessStopped<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, {once: true});
    void work.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, {once: true});
  });
}

const ENTER_SCREEN = '\x1b[?1049h\x1b[?25l';
const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';

/** Switches to the alternate screen with the cursor hidden; the function returned switches back (once). */
function enterScreen(): () => void {
  process.stdout.write(ENTER_SCREEN);
  let restored = false;
  // A second Ctrl-C exits at once (cancel.ts): the terminal is restored on the way out all the same.
  const onExit = () => restoreNow();
  process.once('exit', onExit);
  function restoreNow() {
    if (restored) return;
    restored = true;
    try {
      process.stdout.write(LEAVE_SCREEN);
    } catch {
      // the terminal is gone
    }
  }
  return () => {
    process.off('exit', onExit);
    restoreNow();
  };
}

/** Raw keys from a terminal on stdin (none when stdin is not one); the function returned gives stdin back. */
function listenForKeys(onKey: (key: string) => void): (() => void) | undefined {
  const stdin = process.stdin;
  if (!stdin.isTTY) return undefined;
  stdin.setRawMode(true);
  const onData = (data: Buffer) => {
    for (const key of data.toString('latin1')) onKey(key);
  };
  stdin.on('data', onData);
  stdin.resume();
  const onExit = () => stdin.setRawMode(false);
  process.once('exit', onExit);
  return () => {
    process.off('exit', onExit);
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}
