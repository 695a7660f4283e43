import {Args} from '@oclif/core';
import {BaseCommand} from '../../lib/base-command.js';
import {CliError} from '../../lib/errors.js';
import {mergeTalosconfig, readTalosconfig, writeTalosconfig} from '../../lib/talosconfig.js';
import {existsSync} from 'node:fs';

export default class ConfigMerge extends BaseCommand {
  static summary = 'Merge the contexts of another talosconfig into this one';
  static description = 'Contexts whose names are taken are renamed <name>-1, <name>-2, ...; the merged file\'s current context becomes current.';
  static examples = ['<%= config.bin %> config merge ./talosconfig'];
  static args = {file: Args.string({description: 'talosconfig to merge from', required: true})};

  async run(): Promise<{renamed: {from: string; to: string}[]}> {
    const {args, flags} = await this.parse(ConfigMerge);
    if (!existsSync(args.file)) throw new CliError(`talosconfig to merge "${args.file}" does not exist`);
    const from = readTalosconfig(args.file);
    if (Object.keys(from.contexts ?? {}).length === 0) throw new CliError(`talosconfig "${args.file}" has no contexts to merge`);
    const {path, config} = this.talosconfigFile(flags);
    const merged = mergeTalosconfig(config, from);
    writeTalosconfig(path, merged.config);
    for (const r of merged.renamed) process.stderr.write(`renamed context "${r.from}" to "${r.to}": the name was taken\n`);
    process.stderr.write(`merged ${Object.keys(from.contexts!).length} context(s) into ${path}; current context: ${merged.config.context ?? '(none)'}\n`);
    return {renamed: merged.renamed};
  }
}
