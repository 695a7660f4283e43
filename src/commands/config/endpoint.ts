import {Args} from '@oclif/core';
import {BaseCommand} from '../../lib/base-command.js';
import {setEndpoints, writeTalosconfig} from '../../lib/talosconfig.js';

export default class ConfigEndpoint extends BaseCommand {
  static summary = 'Set the endpoints of the current context (or of --context)';
  static aliases = ['config:endpoints'];
  static strict = false;
  static examples = ['<%= config.bin %> config endpoint 127.20.0.2 127.20.0.3'];
  static args = {endpoints: Args.string({description: 'endpoint addresses (host or host:port)', required: true})};

  async run(): Promise<string[]> {
    const {argv, flags} = await this.parse(ConfigEndpoint);
    const endpoints = (argv as string[]).flatMap((value) => value.split(',')).filter(Boolean);
    const {path, config} = this.talosconfigFile(flags);
    writeTalosconfig(path, setEndpoints(config, endpoints, flags.context));
    return endpoints;
  }
}
