import {Args} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';

export default class EtcdRemoveMember extends BaseCommand {
  static summary = 'Remove the node from etcd cluster';
  static description =
    'Use this command only if you want to remove a member which is in broken state. ' +
    'If there is no access to the node, or the node can\'t access etcd to call etcd leave. ' +
    'Always prefer etcd leave over this command. ' +
    'The member ID is hex, as `osctl etcd members` shows it. As talosctl, every target node asks the cluster to remove ' +
    'it, so target one healthy control plane (`-n`): with several, the later ones find the member gone (NotFound). ' +
    'Prints nothing on success. Example: `osctl -n 127.20.0.2 etcd remove-member 7d3ccc0824541630`.';
  // No runnable example: removing a member would break the example cluster.
  static usage = 'etcd remove-member <member ID>';
  static args = {
    id: Args.string({description: 'the member ID, hex (`osctl etcd members`)', required: true}),
  };
}
