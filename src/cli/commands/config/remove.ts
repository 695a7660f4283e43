import {Args, Flags} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';

export default class ConfigRemove extends BaseCommand {
  static summary = 'Remove a context from the talosconfig (asks for confirmation on a terminal)';
  static description = 'Without a terminal to ask on, --yes is required.';
  static examples = ['<%= config.bin %> config remove staging --yes'];
  static args = {name: Args.string({description: 'context to remove', required: true})};
  static flags = {
    yes: Flags.boolean({char: 'y', aliases: ['noconfirm'], description: 'do not ask for confirmation'}),
  };
}
