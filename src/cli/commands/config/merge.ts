import {Args} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';

export default class ConfigMerge extends BaseCommand {
  static summary = 'Merge the contexts of another talosconfig into this one';
  static description = 'Contexts whose names are taken are renamed <name>-1, <name>-2, ...; the merged file\'s current context becomes current.';
  static examples = ['<%= config.bin %> config merge ./reader.talosconfig'];
  static args = {file: Args.string({description: 'talosconfig to merge from', required: true})};
}
