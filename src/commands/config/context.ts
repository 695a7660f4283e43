import {Args} from '@oclif/core';
import {BaseCommand} from '../../lib/base-command.js';
import {setCurrentContext, writeTalosconfig} from '../../lib/talosconfig.js';

export default class ConfigContext extends BaseCommand {
  static summary = 'Set the current context';
  static examples = ['<%= config.bin %> config context osctl-default'];
  static args = {name: Args.string({description: 'context name', required: true})};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ConfigContext);
    const {path, config} = this.talosconfigFile(flags);
    writeTalosconfig(path, setCurrentContext(config, args.name));
    process.stderr.write(`context "${args.name}" is now current in ${path}\n`);
  }
}
