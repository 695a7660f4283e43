import {BaseCommand, outputFlag} from '../../../base-command.js';

export default class EtcdAlarmDisarm extends BaseCommand {
  static summary = 'Disarm the etcd alarms for the node.';
  static description =
    'Each node clears every active alarm and prints the ones it cleared, as `etcd alarm list` prints them (nothing ' +
    'when there was none). Clear the cause first: a NOSPACE alarm comes back while the database is over its quota.';
  static examples = ['<%= config.bin %> etcd alarm disarm'];
  static flags = {
    output: outputFlag,
  };
}
