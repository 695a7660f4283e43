import {Flags} from '@oclif/core';
import {BaseCommand} from '../base-command.js';

export default class Bootstrap extends BaseCommand {
  static summary = 'Bootstrap the etcd cluster on the specified node.';
  static description =
    'When a cluster is created, the etcd service on control plane nodes waits in Preparing to join etcd peers from ' +
    'other control plane nodes. One node is picked as the bootstrap node: on it, bootstrap starts etcd as a ' +
    'single-member cluster, and the other control planes join it. Exactly one node (-n). `osctl cluster create` ' +
    'bootstraps its cluster already. ' +
    'With --recover-from=<file>, the new cluster starts from an etcd snapshot (`osctl etcd snapshot`, or ' +
    '`etcdctl snapshot save`): the file is checked here first — its bbolt structure and, unless ' +
    '--recover-skip-hash-check, its sha256 trailer — so a damaged file is never uploaded; then osctl prints ' +
    '`recovering from snapshot "<file>": hash …, revision …, total keys …, total size …`, uploads it (EtcdRecover; ' +
    'progress on a terminal) and calls Bootstrap, which restores it on the node. A database copied out of a data ' +
    'directory (member/snap/db) has no trailer: pass --recover-skip-hash-check. Before that, every control plane ' +
    'etcd is expected in Preparing (wiped: `osctl -n <ip> reset --graceful=false --reboot ' +
    '--system-labels-to-wipe=EPHEMERAL`); osctl warns on stderr about those it sees in another state. ' +
    '"etcd data directory is not empty" means the node\'s etcd has data already: wipe it as above first, or ' +
    'bootstrap another control plane. ' +
    'Examples: `osctl -n 127.20.0.2 bootstrap`, `osctl -n 127.20.0.2 bootstrap --recover-from=./db.snapshot`, ' +
    '`osctl -n 127.20.0.2 bootstrap --recover-from=./db --recover-skip-hash-check`.';
  // No runnable examples: a cluster made by `cluster create` is bootstrapped already. The description shows the forms.
  static usage = 'bootstrap [--recover-from <file> [--recover-skip-hash-check]]';
  static flags = {
    'recover-from': Flags.string({description: 'recover etcd cluster from the snapshot'}),
    'recover-skip-hash-check': Flags.boolean({description: 'skip integrity check when recovering etcd (use when recovering from data directory copy)'}),
  };
}
