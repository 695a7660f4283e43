// Running a command's action: the part of every command after argument parsing. It is shared by
// the oclif command classes and by the start-up fast path (src/cli/fast-path.ts), so it must not
// import @oclif/core (≈70 ms). Actions live in src/cli/actions/<topic>/<name>.js, found by command id.
import {homedir} from 'node:os';
import {cancelExitCode, cancelSignal} from './cancel.js';
import {durationFlag} from './duration.js';
import {CliError, EXIT_FAILURE, EXIT_PARTIAL, EXIT_USAGE} from './errors.js';
import {escapeControls, quoteInput} from './quote.js';
import type {NodeResult} from './fanout.js';
import {stderrSink, stdoutSink} from './output/stdio.js';
import type {Sink} from './output/types.js';
import type {OsClient} from './client.js';
import type {ResolvedContext, TalosConfig} from './talosconfig.js';

/** The global flags every command accepts, after parsing. */
export interface GlobalFlagValues {
  talosconfig?: string;
  context?: string;
  nodes?: string[];
  endpoints?: string[];
  timeout: string;
}

export interface Invocation<F = GlobalFlagValues, A = Record<string, string | undefined>> {
  /** oclif command id, colon-separated (`config:info`) */
  id: string;
  flags: F;
  args: A;
  /** positional arguments in order, for commands that take any number */
  argv: string[];
  /** the CLI's own version */
  version: string;
}

/** Everything resolved from talosconfig and flags before any connection is made. */
export interface Session {
  config: ResolvedContext;
  endpoints: string[];
  /** explicit -n, else the context's nodes (may be empty) */
  nodes: string[];
  timeoutMs: number;
}

export type Action<F = GlobalFlagValues, A = Record<string, string | undefined>> = (
  invocation: Invocation<F, A>,
  ctx: RunContext,
) => Promise<unknown>;

/** What actions use besides their input: output sinks, talosconfig, the client and per-node error reporting. */
export class RunContext {
  readonly out: Sink = stdoutSink;
  readonly err: Sink = stderrSink;

  constructor(readonly commandName: string) {}

  /** The talosconfig file these flags point at, and its content ({} when it doesn't exist yet). */
  async talosconfigFile(flags: Pick<GlobalFlagValues, 'talosconfig'>): Promise<{path: string; config: TalosConfig}> {
    const {readTalosconfig, resolveTalosconfigPath} = await import('./talosconfig.js');
    const path = resolveTalosconfigPath(flags.talosconfig, process.env, homedir());
    return {path, config: readTalosconfig(path)};
  }

  async session(flags: GlobalFlagValues): Promise<Session> {
    const {contextEndpoints, contextNodes, normalizeEndpoint, normalizeNode, selectContext} = await import('./talosconfig.js');
    const file = await this.talosconfigFile(flags);
    const config = selectContext(file.config, file.path, flags.context);
    const timeoutMs = durationFlag('timeout', flags.timeout);
    const endpoints = flags.endpoints?.length ? flagList('endpoints', flags.endpoints, normalizeEndpoint) : contextEndpoints(config);
    if (endpoints.length === 0) {
      throw new CliError(`no endpoints to connect to: context "${config.name}" in ${config.path} has none`, EXIT_FAILURE, [
        'pass -e <ip>, or save one with `osctl config endpoint <ip>`',
      ]);
    }
    const nodes = flags.nodes?.length ? flagList('nodes', flags.nodes, normalizeNode) : contextNodes(config);
    return {config, endpoints, nodes, timeoutMs};
  }

  /** The nodes a command targets; talosctl's error when there are none. */
  targetNodes(session: Session): string[] {
    if (session.nodes.length === 0) {
      throw new CliError(
        'nodes are not set for the command: please use `--nodes` flag or configuration file to set the nodes to run the command against',
        EXIT_FAILURE,
        [`set default nodes with \`osctl config node <ip>\` (context "${session.config.name}" in ${session.config.path})`],
      );
    }
    return session.nodes;
  }

  singleNode(session: Session): string {
    const nodes = this.targetNodes(session);
    if (nodes.length !== 1) throw new CliError(`command "${this.commandName}" requires exactly one node (got ${nodes.length})`);
    return nodes[0];
  }

  async connect(session: Session): Promise<OsClient> {
    const [{OsClient}, {connectionCredentials}] = await Promise.all([import('./client.js'), import('./talosconfig.js')]);
    return OsClient.connect({
      configPath: session.config.path,
      contextName: session.config.name,
      endpoints: session.endpoints,
      ...connectionCredentials(session.config),
      timeoutMs: session.timeoutMs,
      signal: cancelSignal,
    });
  }

  async withClient<T>(session: Session, action: (client: OsClient) => Promise<T>): Promise<T> {
    const client = await this.connect(session);
    try {
      return await action(client);
    } finally {
      client.close();
    }
  }

  /**
   * Prints each failed node as `error from node <n>: <reason>` on stderr (after the healthy
   * nodes' output) and sets the exit code. `lead` replaces `error from node` where talosctl words
   * it otherwise (`restart`: `error restarting process on node`).
   */
  reportNodeErrors(results: readonly NodeResult<unknown>[], lead = 'error from node'): void {
    for (const r of results) if (r.error) this.reportNodeError(r.node, r.error, lead);
    this.setNodeExitCode(results);
  }

  /**
   * Prints one failed node now (a watch reports a node as it fails). After Ctrl-C every node still
   * running "fails" with the cancellation, which is not news; errors from before it still are.
   */
  reportNodeError(node: string, error: Error, lead = 'error from node'): void {
    if (cancelSignal.aborted && error === cancelSignal.reason) return;
    this.err.write(`${lead} ${node}: ${escapeControls(error.message, {keepNewlines: true})}\n`);
  }

  /**
   * Runs one node's long-lived work (a watch, a followed log) and reports its failure the moment it
   * happens, while the other nodes go on; the failure is rethrown for the fan-out's result.
   */
  async reportingFailure<T>(node: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      this.reportNodeError(node, err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  /** 3 when some nodes failed, 1 when all did (runAction makes it 130 after Ctrl-C). */
  setNodeExitCode(results: readonly NodeResult<unknown>[]): void {
    const failed = results.filter((r) => r.error).length;
    if (failed > 0) process.exitCode = failed === results.length ? EXIT_FAILURE : EXIT_PARTIAL;
  }
}

/** A list flag's values (-n, -e), each checked by `normalize`; a bad one is a usage error naming the flag. */
function flagList(flag: 'nodes' | 'endpoints', values: string[], normalize: (value: string) => string): string[] {
  return checkedList(`-${flag[0]}/--${flag} ${quoteInput(values.join(','))}`, values, normalize);
}

/**
 * Addresses the user typed as a list (`-n a,b`, `config node a b,c`): each checked by `normalize`,
 * an empty one included, so `''` and `,,` are refused rather than read as "no nodes". A bad one is
 * a usage error that starts with `typed`, how the user wrote the list.
 */
export function checkedList(typed: string, values: string[], normalize: (value: string) => string): string[] {
  return values.map((value) => {
    try {
      return normalize(value);
    } catch (err) {
      throw new CliError(`${typed}: ${(err as Error).message}`, EXIT_USAGE);
    }
  });
}

/** Loads the action for a command id and runs it; every failure becomes a message and an exit code. */
export async function runAction(invocation: Invocation<unknown, unknown>): Promise<unknown> {
  const ctx = new RunContext(invocation.id.replaceAll(':', ' '));
  try {
    const module = (await import(`./actions/${invocation.id.replaceAll(':', '/')}.js`)) as {default: Action<unknown, unknown>};
    const result = await module.default(invocation, ctx);
    if (cancelSignal.aborted) process.exitCode = cancelExitCode();
    return result;
  } catch (err) {
    reportFailure(err, ctx);
    return undefined;
  }
}

function reportFailure(err: unknown, ctx: RunContext): void {
  if (cancelSignal.aborted) {
    process.exitCode = cancelExitCode();
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  ctx.err.write(`error: ${escapeControls(message, {keepNewlines: true})}\n`);
  if (err instanceof CliError) for (const hint of err.hints) ctx.err.write(`  hint: ${escapeControls(hint, {keepNewlines: true})}\n`);
  else if (!(err instanceof Error && err.name === 'TalosConfigError') && process.env.DEBUG) ctx.err.write(`${(err as Error).stack}\n`);
  process.exitCode = err instanceof CliError ? err.exitCode : EXIT_FAILURE;
}
