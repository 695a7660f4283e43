import {BaseCommand, outputFlag} from '../../base-command.js';

export default class EtcdMembers extends BaseCommand {
  static summary = 'Get the list of etcd cluster members';
  static description =
    'Each node lists the members its own etcd member knows (EtcdMemberList with query_local), so with several nodes the ' +
    'rows repeat once per node: a member missing from one node\'s rows shows that node disagrees. IDs are hex, as ' +
    '`etcd remove-member` takes them. The header is printed even when every node fails. Control-plane nodes only.';
  static examples = ['<%= config.bin %> etcd members', '<%= config.bin %> -n 127.20.0.2,127.20.0.3 etcd members -o json'];
  static flags = {
    output: outputFlag,
  };
}
