import {BaseCommand, containerNamespaceFlags, outputFlag} from '../base-command.js';

export default class Stats extends BaseCommand {
  static summary = 'Get container stats';
  static description =
    'Memory and CPU of the containers `osctl containers` lists: without -k the node\'s system services, with -k the ' +
    'Kubernetes pods and their running containers (`└─ ` marks a container under its pod; a pod sandbox counts zero). ' +
    'MEMORY(MB) is the resident memory of the container\'s processes in megabytes (10^6 bytes), CPU their CPU time ' +
    'in nanoseconds, both read from the host\'s /proc. Rows are sorted by id per node.';
  static examples = [
    '<%= config.bin %> stats',
    '<%= config.bin %> -n 127.20.0.3 stats -k',
    '<%= config.bin %> stats -o json',
  ];
  static flags = {
    output: outputFlag,
    ...containerNamespaceFlags,
  };
}
