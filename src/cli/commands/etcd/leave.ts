import {BaseCommand} from '../../base-command.js';

export default class EtcdLeave extends BaseCommand {
  static summary = 'Tell nodes to leave etcd cluster';
  static description =
    'Exactly one node: it removes its own member from the cluster (waiting up to 3 min for its member id, and retrying ' +
    'the removal for up to 5 min while etcd is unhealthy), then stops etcd and empties its data directory. The node keeps ' +
    'waiting in Preparing until it is bootstrapped or rejoins. Prints nothing on success. It can take minutes when etcd ' +
    'is unhealthy: give a --timeout that allows for it, e.g. `osctl -n 127.20.0.4 etcd leave --timeout 10m`.';
  // No runnable example: leaving would take a member away from the example cluster.
  static usage = 'etcd leave';
}
