import {Args} from '@oclif/core';
import {BaseCommand} from '../base-command.js';

export default class Read extends BaseCommand {
  static summary = 'Read a file on the machine';
  static description =
    'Writes the file\'s bytes to stdout as they are, from exactly one node. Paths are the node\'s: its state folder is ' +
    '`/`, /proc and /sys are the host\'s (files there report size 0 and are read to their end). Symlinks are followed ' +
    'inside the node only. Folders, FIFOs, sockets and devices are refused.';
  static aliases = ['cat'];
  static examples = [
    '<%= config.bin %> read /etc/hostname',
    '<%= config.bin %> cat /proc/meminfo',
  ];
  static args = {
    path: Args.string({description: 'path of a file on the node', required: true}),
  };
}
