import {Args, Flags} from '@oclif/core';
import {BaseCommand, outputFlag} from '../base-command.js';

export default class Usage extends BaseCommand {
  static summary = 'Retrieve a disk usage';
  static description =
    'The apparent size (bytes as listed, not blocks) of each folder under the paths, everything under it included, ' +
    'printed once the folder is complete; with -a files too. -d N shows N levels below each path (a path of `/` shows ' +
    'one more, as Talos counts it); -t SIZE leaves out entries smaller than SIZE, or larger than -SIZE when negative. ' +
    'Paths are the node\'s (its state folder is `/`, /proc and /sys are the host\'s). Errors are reported after the table.';
  static aliases = ['du'];
  static examples = [
    '<%= config.bin %> usage /etc',
    '<%= config.bin %> du -a -H -d 1 /system /etc',
    '<%= config.bin %> -n 127.20.0.2,127.20.0.3 usage /var -o yaml',
  ];
  static strict = false;
  static args = {
    paths: Args.string({description: 'paths on the node (default /)'}),
  };
  // --depth and --threshold are strings: the fast path hands values over unconverted; the action checks them.
  static flags = {
    output: outputFlag,
    humanize: Flags.boolean({char: 'H', description: 'humanize size and time in the output'}),
    all: Flags.boolean({char: 'a', description: 'write counts for all files, not just directories'}),
    threshold: Flags.string({char: 't', description: 'threshold exclude entries smaller than SIZE if positive, or entries greater than SIZE if negative', default: '0'}),
    depth: Flags.string({char: 'd', description: 'maximum recursion depth', default: '0'}),
  };
}
