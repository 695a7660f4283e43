import {Args, Flags} from '@oclif/core';
import {BaseCommand} from '../../lib/base-command.js';
import {CliError} from '../../lib/errors.js';
import {removeContext, writeTalosconfig} from '../../lib/talosconfig.js';

export default class ConfigRemove extends BaseCommand {
  static summary = 'Remove a context from the talosconfig (asks for confirmation)';
  static examples = ['<%= config.bin %> config remove old-lab', '<%= config.bin %> config remove old-lab --yes'];
  static args = {name: Args.string({description: 'context to remove', required: true})};
  static flags = {
    yes: Flags.boolean({char: 'y', aliases: ['noconfirm'], description: 'do not ask for confirmation'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ConfigRemove);
    const {path, config} = this.talosconfigFile(flags);
    const updated = removeContext(config, args.name);
    if (!flags.yes) {
      if (!process.stdin.isTTY) {
        throw new CliError(`refusing to remove context "${args.name}" without confirmation: stdin is not a terminal`, 1, ['pass --yes to remove it']);
      }
      const {default: inquirer} = await import('inquirer');
      const answer = await inquirer.prompt<{remove: boolean}>([
        {type: 'confirm', name: 'remove', message: `Remove context "${args.name}" from ${path}?`, default: false},
      ]);
      if (!answer.remove) {
        process.stderr.write('nothing removed\n');
        return;
      }
    }
    writeTalosconfig(path, updated);
    process.stderr.write(`removed context "${args.name}" from ${path}${config.context === args.name ? '; no context is current now' : ''}\n`);
  }
}
