import {BaseCommand, containerNamespaceFlags, outputFlag} from '../base-command.js';

export default class Containers extends BaseCommand {
  static summary = 'List containers';
  static description =
    'Without -k, the node\'s system services that run a process; with -k, the Kubernetes pod sandboxes and their ' +
    'containers (`└─ ` marks a container under its pod). Rows are sorted by id per node, in plain byte order.';
  static aliases = ['c'];
  static examples = [
    '<%= config.bin %> containers',
    '<%= config.bin %> containers -k',
    '<%= config.bin %> -n 127.20.0.2,127.20.0.3 containers -k -o json',
  ];
  static flags = {
    output: outputFlag,
    ...containerNamespaceFlags,
  };
}
