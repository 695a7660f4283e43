import {Flags} from '@oclif/core';
import {BaseCommand} from '../base-command.js';

const nodeList = (description: string) => Flags.string({description, multiple: true, multipleNonGreedy: true, delimiter: ','});

export default class Health extends BaseCommand {
  static summary = 'Check cluster health';
  static description =
    'The checks of talosctl\'s health that need no Kubernetes, in its order: etcd to be healthy (Running and healthy on ' +
    'every control plane), etcd members to be consistent across nodes (and one member per control plane), etcd members ' +
    'to be control plane nodes, apid to be ready (every node answers), kubelet to be healthy. Each is asked again until ' +
    'it passes; progress goes to stderr as talosctl\'s lines (`waiting for etcd to be healthy: OK`). Exits 0 once all pass, ' +
    '1 when one does not within --wait-timeout (or its own 5 min). Without --control-plane-nodes the nodes come from the ' +
    'cluster\'s discovery members (asked of the first -n node, or the endpoint). osd always runs the checks from the ' +
    'client; --server is accepted for talosctl\'s scripts. ' +
    'Examples: `osctl health`, `osctl health --wait-timeout 2m`, ' +
    '`osctl health --control-plane-nodes 127.20.0.2,127.20.0.3,127.20.0.4 --worker-nodes 127.20.0.5`.';
  // No runnable examples: the example cluster is created without waiting for etcd, so etcd may still be starting.
  static flags = {
    'wait-timeout': Flags.string({description: 'timeout to wait for the cluster to be ready', default: '20m'}),
    'control-plane-nodes': nodeList('specify IPs of control plane nodes'),
    'worker-nodes': nodeList('specify IPs of worker nodes'),
    'init-node': Flags.string({description: 'specify IPs of init node', hidden: true}),
    server: Flags.boolean({description: 'run server-side check (osd: the checks always run on the client)', default: true, allowNo: true}),
  };
}
