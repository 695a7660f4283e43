import {Args} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';

export default class ConfigNode extends BaseCommand {
  static summary = 'Set the default target nodes of the current context (or of --context)';
  static aliases = ['config:nodes'];
  static strict = false;
  static examples = ['<%= config.bin %> config node 127.20.0.2 127.20.0.3'];
  static args = {nodes: Args.string({description: 'node addresses', required: true})};
}
