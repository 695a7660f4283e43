import {Args, Flags} from '@oclif/core';
import {BaseCommand, outputFlag} from '../base-command.js';

export default class List extends BaseCommand {
  static summary = 'Retrieve a directory listing';
  static description =
    'Lists a path of the node\'s filesystem: its state folder is the node\'s `/`, with the host\'s /proc and /sys. ' +
    'The first entry is the path itself (`.`). With one node, plain names one per line; with several, a NODE NAME table. ' +
    '-l adds MODE (Go\'s FileMode letters), UID, GID, SIZE(B), LASTMOD (local time) and LABEL (SELinux; osd reads no ' +
    'xattrs, so it stays empty); symlinks show `-> target`. -d N descends N levels, -r without limit. Entries that could ' +
    'not be read are reported on stderr after the listing.';
  static aliases = ['ls'];
  static examples = [
    '<%= config.bin %> ls /etc',
    '<%= config.bin %> list -l /system',
    '<%= config.bin %> ls -r -t f /etc/kubernetes',
    '<%= config.bin %> -n 127.20.0.2,127.20.0.3 ls -d 2 -t d /var -o json',
  ];
  static args = {
    path: Args.string({description: 'path on the node (default /)'}),
  };
  // --depth is a string: the fast path hands values over unconverted; the action checks it.
  static flags = {
    output: outputFlag,
    long: Flags.boolean({char: 'l', description: 'display additional file details'}),
    recurse: Flags.boolean({char: 'r', description: 'recurse into subdirectories'}),
    humanize: Flags.boolean({char: 'H', description: 'humanize size and time in the output'}),
    depth: Flags.string({char: 'd', description: 'maximum recursion depth', default: '1'}),
    type: Flags.string({
      char: 't',
      description: 'filter by specified types: f (regular file), d (directory), l or L (symbolic link); combine as -t fl',
      multiple: true,
      multipleNonGreedy: true,
      delimiter: ',',
    }),
  };
}
