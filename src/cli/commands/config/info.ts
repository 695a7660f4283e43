import {Flags} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';

export default class ConfigInfo extends BaseCommand {
  static summary = 'Show the current context: nodes, endpoints, certificate roles and expiry';
  static examples = ['<%= config.bin %> config info', '<%= config.bin %> config info -o json'];
  // talosctl's formats for this command (its -o is not get's).
  static flags = {
    output: Flags.string({char: 'o', description: 'output format', options: ['text', 'yaml', 'json'], default: 'text'}),
  };
}
