import {Flags} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';
import {DEFAULT_CIDR, DEFAULT_CLUSTER_NAME} from '../../cluster/layout.js';

export default class ClusterCreate extends BaseCommand {
  static summary = 'Create a local cluster: one osd agent per node on loopback addresses';
  static description =
    'Nodes get consecutive addresses of --cidr from .2 on, control planes first. Their state lives in ' +
    '$TALOS_HOME/clusters/<name> (default ~/.talos/clusters/<name>), and a context named after the cluster ' +
    'is merged into the talosconfig and made current.';
  static examples = [
    '<%= config.bin %> cluster create',
    '<%= config.bin %> cluster create --name lab --cidr 127.20.0.128/25 --controlplanes 1 --workers 2',
  ];
  // Counts are strings: the start-up fast path hands flag values over unconverted, so the
  // action parses them (with the same messages on either path).
  static flags = {
    name: Flags.string({description: 'cluster name: lowercase letters, digits and "-"', default: DEFAULT_CLUSTER_NAME}),
    cidr: Flags.string({description: 'loopback range for the node addresses (inside 127.0.0.0/8)', default: DEFAULT_CIDR}),
    controlplanes: Flags.string({description: 'number of control plane nodes (at least 1)', default: '3'}),
    workers: Flags.string({description: 'number of worker nodes', default: '1'}),
    'wait-timeout': Flags.string({description: 'how long to wait for every node to answer, e.g. 30s, 2m', default: '30s'}),
  };
}
