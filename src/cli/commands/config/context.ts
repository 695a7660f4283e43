import {Args} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';

export default class ConfigContext extends BaseCommand {
  static summary = 'Set the current context';
  static examples = ['<%= config.bin %> config context osctl-default'];
  static args = {name: Args.string({description: 'context name', required: true})};
}
