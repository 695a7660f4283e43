import {Args} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';

export default class ConfigEndpoint extends BaseCommand {
  static summary = 'Set the endpoints of the current context (or of --context)';
  static aliases = ['config:endpoints'];
  static strict = false;
  static examples = ['<%= config.bin %> config endpoint 127.20.0.2 127.20.0.3'];
  static args = {endpoints: Args.string({description: 'endpoint addresses (host or host:port)', required: true})};
}
