import type ConfigMerge from '../../commands/config/merge.js';
import type {InvocationOf} from '../../base-command.js';
import {CliError} from '../../errors.js';
import type {RunContext} from '../../runtime.js';
import {mergeTalosconfig, readTalosconfig, writeTalosconfig} from '../../talosconfig.js';

const MERGE_SOURCE = {what: 'talosconfig to merge', fix: 'give `osctl config merge` the path of a talosconfig file'};

export default async function merge({flags, args}: InvocationOf<typeof ConfigMerge>, ctx: RunContext) {
  const from = readTalosconfig(args.file, MERGE_SOURCE, true);
  const count = Object.keys(from.contexts ?? {}).length;
  if (count === 0) throw new CliError(`talosconfig to merge "${args.file}" has no contexts to merge`);
  const {path, config} = await ctx.talosconfigFile(flags);
  const merged = mergeTalosconfig(config, from);
  writeTalosconfig(path, merged.config);
  // talosctl's one notice on success: a merged context is known by another name from now on.
  for (const r of merged.renamed) ctx.err.write(`renamed talosconfig context "${r.from}" -> "${r.to}"\n`);
  return {renamed: merged.renamed};
}
