import {BaseCommand, outputFlag} from '../base-command.js';

export default class Mounts extends BaseCommand {
  static summary = 'List mounts';
  static description =
    'The host\'s mounts (its /proc/mounts) with their sizes: every node on one host shares the host\'s kernel, so they ' +
    'show the same mounts. Sizes are in GB (10^9 bytes); AVAILABLE is what unprivileged users may still write. A mount ' +
    'the node cannot measure now (gone, refused, or not answering within 2 s) is left out.';
  static aliases = ['mount'];
  static examples = [
    '<%= config.bin %> mounts',
    '<%= config.bin %> -n 127.20.0.2,127.20.0.3 mounts -o yaml',
  ];
  static flags = {
    output: outputFlag,
  };
}
