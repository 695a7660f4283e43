import {BaseCommand} from '../../base-command.js';

export default class ConfigContexts extends BaseCommand {
  static summary = 'List the contexts in the talosconfig';
  static examples = ['<%= config.bin %> config contexts'];
}
