import {BaseCommand} from '../../base-command.js';

export default class EtcdForfeitLeadership extends BaseCommand {
  static summary = 'Tell node to forfeit etcd cluster leadership';
  static description =
    'Each node whose etcd member leads the cluster hands leadership to the first other member in member-list order; ' +
    'a node that does not lead does nothing. A one-member cluster is an error. Prints nothing on success.';
  static examples = ['<%= config.bin %> -n 127.20.0.2,127.20.0.3,127.20.0.4 etcd forfeit-leadership'];
}
