import {BaseCommand, outputFlag} from '../../base-command.js';

export default class EtcdStatus extends BaseCommand {
  static summary = 'Get the status of etcd cluster member';
  static description =
    'Returns the status of etcd member on the node, use multiple nodes to get status of all members. DB SIZE and IN USE ' +
    'are SI units (1 kB = 1000 B); -o json|yaml gives them in bytes. STORAGE is derived from the server version ' +
    '(major.minor.0) for etcd before 3.6, as Talos does. Control-plane nodes only.';
  static examples = ['<%= config.bin %> etcd status', '<%= config.bin %> -n 127.20.0.2,127.20.0.3,127.20.0.4 etcd status -o yaml'];
  static flags = {
    output: outputFlag,
  };
}
