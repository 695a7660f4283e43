import {Flags} from '@oclif/core';
import {BaseCommand, outputFlag} from '../base-command.js';

export default class Processes extends BaseCommand {
  static summary = 'List running processes';
  static description =
    'The node\'s processes: in a local cluster osd and what it runs (services, pods), on a node whose osd is the ' +
    'host\'s agent (`osd --host-agent`) every process of the host. Each node\'s rows are sorted by resident memory ' +
    '(or CPU time with -s cpu), largest first; sizes are SI (1 kB = 1000 bytes), CPU time in seconds. ' +
    '-w redraws the list every second on a terminal (q or Ctrl-C ends it, c sorts by CPU, r or m by memory); ' +
    'into a pipe it prints a whole new table every second, separated by an empty line.';
  static aliases = ['p', 'ps'];
  static examples = [
    '<%= config.bin %> processes',
    '<%= config.bin %> ps -s cpu',
    '<%= config.bin %> -n 127.20.0.2,127.20.0.3 processes -o json',
  ];
  static flags = {
    output: outputFlag,
    sort: Flags.string({char: 's', description: 'Column to sort output by. [rss|cpu]', default: 'rss'}),
    watch: Flags.boolean({char: 'w', description: 'Stream running processes'}),
  };
}
