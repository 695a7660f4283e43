import {BaseCommand, outputFlag} from '../../../base-command.js';

export default class EtcdAlarmList extends BaseCommand {
  static summary = 'List the etcd alarms for the node.';
  static description =
    'The alarms active in the cluster, as each node\'s member reports them: NOSPACE (the database reached its quota: ' +
    'etcd takes no more writes; compact, defrag, then `etcd alarm disarm`) or CORRUPT. Prints nothing when there is none ' +
    '(the header only comes with the first alarm). Control-plane nodes only.';
  static examples = ['<%= config.bin %> etcd alarm list', '<%= config.bin %> -n 127.20.0.2,127.20.0.3 etcd alarm list -o json'];
  static flags = {
    output: outputFlag,
  };
}
