import {Flags} from '@oclif/core';
import {BaseCommand, outputFlag} from '../base-command.js';

export default class Version extends BaseCommand {
  static summary = 'Print the client version and the version of each node';
  static examples = ['<%= config.bin %> version', '<%= config.bin %> version --client', '<%= config.bin %> version -n 127.20.0.2,127.20.0.3 -o json'];
  static flags = {
    output: outputFlag,
    client: Flags.boolean({description: 'print the client version only; needs no talosconfig'}),
  };
}
