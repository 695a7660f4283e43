import {Flags} from '@oclif/core';
import {BaseCommand, outputFlag} from '../base-command.js';

export default class Memory extends BaseCommand {
  static summary = 'Show memory usage';
  static description =
    'The host\'s memory, from its /proc/meminfo: every node on one host shares the host\'s kernel, so they show the ' +
    'same numbers. The table is in MB (kB / 1024); USED is total - free - cache - buffers. -v prints every ' +
    '/proc/meminfo value in kB; -o json|yaml prints them as the node sends them (kB).';
  static aliases = ['m', 'free'];
  static examples = [
    '<%= config.bin %> memory',
    '<%= config.bin %> free -v',
    '<%= config.bin %> -n 127.20.0.2,127.20.0.3 memory -o json',
  ];
  static flags = {
    output: outputFlag,
    verbose: Flags.boolean({char: 'v', description: 'display extended memory statistics'}),
  };
}
