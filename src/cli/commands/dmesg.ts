import {Flags} from '@oclif/core';
import {BaseCommand, outputFlag} from '../base-command.js';

export default class Dmesg extends BaseCommand {
  static summary = 'Retrieve kernel logs';
  static description =
    'The host\'s kernel log (/dev/kmsg): every node on one host shares the host\'s kernel, so they show the same ' +
    'records. Each is printed as `<node>: <facility>: <priority>: [<time>]: <message>`, the time in UTC. The node ' +
    'needs read access to /dev/kmsg (root, or kernel.dmesg_restrict=0); without it the error says so. -f follows ' +
    'until Ctrl-C; --tail with -f shows only records written from now on.';
  static examples = [
    '<%= config.bin %> dmesg',
    '<%= config.bin %> -n 127.20.0.2,127.20.0.3 dmesg -o ndjson',
  ];
  static flags = {
    output: outputFlag,
    follow: Flags.boolean({char: 'f', description: 'specify if the kernel log should be streamed'}),
    tail: Flags.boolean({description: 'specify if only new messages should be sent (makes sense only when combined with --follow)'}),
  };
}
