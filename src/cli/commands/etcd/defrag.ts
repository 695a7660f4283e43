import {BaseCommand} from '../../base-command.js';

export default class EtcdDefrag extends BaseCommand {
  static summary = 'Defragment etcd database on the node';
  static description =
    'Defragmentation is a maintenance operation that releases unused space from the etcd database file. ' +
    'Defragmentation is a resource heavy operation and should be performed only when necessary on a single node at a time. ' +
    'Exactly one node; the member blocks reads and writes while it runs, so give a large database a --timeout that allows ' +
    'for it. Prints nothing on success.';
  static examples = ['<%= config.bin %> -n 127.20.0.2 etcd defrag'];
}
