// What every command that talks to nodes shares: the global flags, turning talosconfig + flags
// into a session, building the client, reporting per-node failures, and mapping errors to exit codes.
import {homedir} from 'node:os';
import {Command, Flags, Interfaces} from '@oclif/core';
import {cancelSignal, EXIT_INTERRUPTED} from './cancel.js';
import {parseDuration} from './duration.js';
import {CliError, EXIT_FAILURE, EXIT_PARTIAL} from './errors.js';
import type {NodeResult} from './fanout.js';
import type {Sink} from './output/types.js';
import {
  contextCredentials, normalizeEndpoint, readTalosconfig, resolveTalosconfigPath, ResolvedContext, selectContext,
  TalosConfig, TalosConfigError,
} from './talosconfig.js';
import type {OsClient} from './client.js';

export const globalFlags = {
  talosconfig: Flags.string({
    description: 'talosconfig file (default: $TALOSCONFIG, $TALOS_HOME/config, ~/.talos/config)',
    helpGroup: 'GLOBAL',
  }),
  context: Flags.string({description: 'talosconfig context to use instead of the current one', helpGroup: 'GLOBAL'}),
  nodes: Flags.string({
    char: 'n',
    description: 'target nodes, comma-separated or repeated (default: the context\'s nodes)',
    multiple: true,
    delimiter: ',',
    helpGroup: 'GLOBAL',
  }),
  endpoints: Flags.string({
    char: 'e',
    description: 'endpoints to connect through, comma-separated or repeated (default: the context\'s endpoints)',
    multiple: true,
    delimiter: ',',
    helpGroup: 'GLOBAL',
  }),
  timeout: Flags.string({description: 'deadline for each call and for connecting, e.g. 30s, 2m', default: '30s', helpGroup: 'GLOBAL'}),
};

export type GlobalFlags = Interfaces.InferredFlags<typeof globalFlags>;

/** `-o` for commands that print data; the accepted values are validated by the output layer. */
export const outputFlag = Flags.string({
  char: 'o',
  description: 'output format: table, yaml, json, ndjson or jsonpath=<template>',
  default: 'table',
});

/** Everything resolved from talosconfig and flags before any connection is made. */
export interface Session {
  config: ResolvedContext;
  endpoints: string[];
  /** explicit -n, else the context's nodes (may be empty) */
  nodes: string[];
  timeoutMs: number;
}

export const stdoutSink: Sink = {write: (text) => void process.stdout.write(text)};

export abstract class BaseCommand extends Command {
  static baseFlags = globalFlags;

  protected readonly out: Sink = stdoutSink;

  /** The talosconfig file these flags point at, and its content ({} when it doesn't exist yet). */
  protected talosconfigFile(flags: Pick<GlobalFlags, 'talosconfig'>): {path: string; config: TalosConfig} {
    const path = resolveTalosconfigPath(flags.talosconfig, process.env, homedir());
    return {path, config: readTalosconfig(path)};
  }

  protected resolveSession(flags: GlobalFlags): Session {
    const file = this.talosconfigFile(flags);
    const config = selectContext(file.config, file.path, flags.context);
    let timeoutMs: number;
    try {
      timeoutMs = parseDuration(flags.timeout);
    } catch (err) {
      throw new CliError(`--timeout: ${(err as Error).message}`);
    }
    const endpoints = (flags.endpoints?.length ? flags.endpoints : config.context.endpoints ?? []).map(normalizeEndpoint);
    if (endpoints.length === 0) {
      throw new CliError(`no endpoints to connect to: context "${config.name}" in ${config.path} has none`, EXIT_FAILURE, [
        'pass -e <ip>, or save one with `osctl config endpoint <ip>`',
      ]);
    }
    const nodes = flags.nodes?.length ? flags.nodes : config.context.nodes ?? [];
    return {config, endpoints, nodes, timeoutMs};
  }

  /** The nodes a command targets; talosctl's error when there are none. */
  protected targetNodes(session: Session): string[] {
    if (session.nodes.length === 0) {
      throw new CliError(
        'nodes are not set for the command: please use `--nodes` flag or configuration file to set the nodes to run the command against',
        EXIT_FAILURE,
        [`set default nodes with \`osctl config node <ip>\` (context "${session.config.name}" in ${session.config.path})`],
      );
    }
    return session.nodes;
  }

  protected singleNode(session: Session): string {
    const nodes = this.targetNodes(session);
    if (nodes.length !== 1) throw new CliError(`command "${this.id?.replaceAll(':', ' ')}" requires exactly one node (got ${nodes.length})`);
    return nodes[0];
  }

  protected async connect(session: Session): Promise<OsClient> {
    const {OsClient} = await import('./client.js');
    return OsClient.connect({
      configPath: session.config.path,
      contextName: session.config.name,
      endpoints: session.endpoints,
      ...contextCredentials(session.config),
      timeoutMs: session.timeoutMs,
      signal: cancelSignal,
    });
  }

  protected async withClient<T>(session: Session, action: (client: OsClient) => Promise<T>): Promise<T> {
    const client = await this.connect(session);
    try {
      return await action(client);
    } finally {
      client.close();
    }
  }

  /**
   * Prints each failed node as `error from node <n>: <reason>` on stderr (after the healthy
   * nodes' output) and sets the exit code: 3 when some nodes succeeded, 1 when none did.
   */
  protected reportNodeErrors(results: readonly NodeResult<unknown>[]): void {
    const failed = results.filter((r) => r.error);
    for (const r of failed) process.stderr.write(`error from node ${r.node}: ${r.error!.message}\n`);
    if (failed.length > 0) process.exitCode = failed.length === results.length ? EXIT_FAILURE : EXIT_PARTIAL;
  }

  async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    if (cancelSignal.aborted) {
      process.exitCode = EXIT_INTERRUPTED;
      return;
    }
    if (err instanceof CliError || err instanceof TalosConfigError) {
      process.stderr.write(`error: ${err.message}\n`);
      for (const hint of (err as CliError).hints ?? []) process.stderr.write(`  hint: ${hint}\n`);
      process.exitCode = (err as CliError).exitCode ?? EXIT_FAILURE;
      return;
    }
    return super.catch(err);
  }
}
