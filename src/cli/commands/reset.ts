import {Flags} from '@oclif/core';
import {BaseCommand} from '../base-command.js';
import {lifecycleFlags} from '../lifecycle-flags.js';

export default class Reset extends BaseCommand {
  static summary = 'Reset a node';
  static description =
    'Graceful (the default) first removes a control plane\'s etcd member, as `etcd leave` does; then every service stops ' +
    'and the node is wiped: on osd EPHEMERAL is the node\'s var folder (etcd data included; osd\'s own log files are kept), ' +
    'META its system/state/meta. Without --system-labels-to-wipe the system disk is wiped: EPHEMERAL and META (STATE, the ' +
    'machine config and certificates, is kept: osd has no maintenance mode to receive a new config, so wiping STATE is ' +
    'refused). With --reboot the node starts again (etcd then waits to join, or for `bootstrap --recover-from`); without it ' +
    'osd exits. --wait (the default) follows each node until it is back or gone. Nothing asks for confirmation. ' +
    'Examples: `osctl -n 127.20.0.2 reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL`, ' +
    '`osctl -n 127.20.0.4 reset --wait=false`.';
  // No runnable examples: a reset takes a node of the example cluster away.
  static flags = {
    graceful: Flags.boolean({description: 'if true, attempt to cordon/drain node and leave etcd (if applicable)', default: true, allowNo: true}),
    reboot: Flags.boolean({description: 'if true, reboot the node after resetting instead of shutting down'}),
    'system-labels-to-wipe': Flags.string({
      description: 'if set, just wipe selected system disk partitions by label but keep other partitions intact',
      multiple: true,
      multipleNonGreedy: true,
      delimiter: ',',
    }),
    'user-disks-to-wipe': Flags.string({
      description: 'if set, wipes defined devices in the list',
      multiple: true,
      multipleNonGreedy: true,
      delimiter: ',',
    }),
    'wipe-mode': Flags.string({description: 'disk reset mode: all, system-disk, user-disks', default: 'all'}),
    ...lifecycleFlags,
  };
}
