import {BaseCommand, outputFlag} from '../../base-command.js';

export default class ConfigInfo extends BaseCommand {
  static summary = 'Show the current context: nodes, endpoints, certificate roles and expiry';
  static examples = ['<%= config.bin %> config info', '<%= config.bin %> config info -o json'];
  static flags = {output: outputFlag};
}
