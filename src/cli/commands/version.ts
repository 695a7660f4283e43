import {Flags} from '@oclif/core';
import {BaseCommand, outputFlag} from '../base-command.js';

export default class Version extends BaseCommand {
  static summary = 'Print the client version and the version of each node';
  static description =
    'The text layout is talosctl\'s: a Client block, then a Server block with one entry per node that answered. ' +
    '--json prints each node\'s Version message as one compact protojson object per line (with --client, the client\'s own).';
  static examples = [
    '<%= config.bin %> version',
    '<%= config.bin %> version --client --short',
    '<%= config.bin %> version -n 127.20.0.2,127.20.0.3 --json',
    '<%= config.bin %> version -n 127.20.0.2,127.20.0.3 -o yaml',
  ];
  static flags = {
    output: outputFlag,
    client: Flags.boolean({description: 'print the client version only; needs no talosconfig'}),
    short: Flags.boolean({description: 'print the client version as one line (name and tag)'}),
    json: Flags.boolean({description: 'one compact protojson Version message per line, as talosctl --json'}),
  };
}
