// The oclif side of every command: the global flags, and `run()`, which parses argv and hands
// the result to the command's action (src/cli/actions/...) through the shared runtime.
import {Command, Flags, Interfaces} from '@oclif/core';
import {lastValueWins, pflagBooleans} from './argv.js';
import {Invocation, runAction} from './runtime.js';

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
    multipleNonGreedy: true,
    delimiter: ',',
    helpGroup: 'GLOBAL',
  }),
  endpoints: Flags.string({
    char: 'e',
    description: 'endpoints to connect through, comma-separated or repeated (default: the context\'s endpoints)',
    multiple: true,
    multipleNonGreedy: true,
    delimiter: ',',
    helpGroup: 'GLOBAL',
  }),
  timeout: Flags.string({description: 'deadline for each call and for connecting, e.g. 30s, 2m', default: '30s', helpGroup: 'GLOBAL'}),
};

/** `-o` for commands that print data; the accepted values are validated by the output layer. */
export const outputFlag = Flags.string({
  char: 'o',
  description: 'output format: table, yaml, json, ndjson or jsonpath=<template>',
  default: 'table',
});

/**
 * `-k` of the commands that reach containers (containers, logs, restart, stats): the k8s.io namespace
 * through CRI instead of the node's system services. `-c/--use-cri` is talosctl's hidden flag, accepted
 * so scripts written for talosctl run; as there, the driver follows -k alone.
 */
export const containerNamespaceFlags = {
  kubernetes: Flags.boolean({char: 'k', description: 'use the k8s.io containerd namespace'}),
  'use-cri': Flags.boolean({char: 'c', description: 'use the CRI driver', hidden: true}),
};

export abstract class BaseCommand extends Command {
  static baseFlags = globalFlags;

  async run(): Promise<unknown> {
    const command = this.constructor as typeof BaseCommand;
    // oclif refuses a repeated scalar flag; talosctl takes its last value (see argv.ts).
    const definitions = Object.entries({...command.baseFlags, ...command.flags}).map(([name, flag]) => ({...flag, name}));
    this.argv = pflagBooleans(lastValueWins(this.argv, definitions), definitions);
    const {flags, args, argv} = await this.parse(command);
    return runAction({id: this.id!, flags, args, argv: argv as string[], version: this.config.version});
  }
}

/** The parsed input of command class C, as its action receives it (type-only: erased at run time). */
export type InvocationOf<C extends {flags?: Interfaces.FlagInput; args?: Interfaces.ArgInput}> = Invocation<
  Interfaces.InferredFlags<NonNullable<C['flags']> & typeof globalFlags>,
  Interfaces.InferredArgs<NonNullable<C['args']>>
>;
