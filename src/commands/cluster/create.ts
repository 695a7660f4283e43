import * as os from 'node:os';
import * as path from 'node:path';
import {Flags} from '@oclif/core';
import {BaseCommand} from '../../lib/base-command.js';
import {clustersRoot, ClusterDescription, DEFAULT_CIDR, DEFAULT_CLUSTER_NAME} from '../../lib/cluster/layout.js';
import {createProgress} from '../../lib/cluster/progress.js';
import {clusterView, formatClusterTable} from '../../lib/cluster/view.js';
import {cancelSignal} from '../../lib/cancel.js';
import {parseDuration} from '../../lib/duration.js';
import {CliError, EXIT_USAGE} from '../../lib/errors.js';
import {resolveTalosconfigPath} from '../../lib/talosconfig.js';

export default class ClusterCreate extends BaseCommand {
  static summary = 'Create a local cluster: one osd agent per node on loopback addresses';
  static description =
    'Nodes get consecutive addresses of --cidr from .2 on, control planes first. Their state lives in ' +
    '$TALOS_HOME/clusters/<name> (default ~/.talos/clusters/<name>), and a context named after the cluster ' +
    'is merged into the talosconfig and made current.';
  static examples = [
    '<%= config.bin %> cluster create',
    '<%= config.bin %> cluster create --name lab --cidr 127.20.1.0/24 --controlplanes 1 --workers 2',
  ];
  static flags = {
    name: Flags.string({description: 'cluster name: lowercase letters, digits and "-"', default: DEFAULT_CLUSTER_NAME}),
    cidr: Flags.string({description: 'loopback range for the node addresses (inside 127.0.0.0/8)', default: DEFAULT_CIDR}),
    controlplanes: Flags.integer({description: 'number of control plane nodes (at least 1)', default: 3}),
    workers: Flags.integer({description: 'number of worker nodes', default: 1}),
    'wait-timeout': Flags.string({description: 'how long to wait for every node to answer, e.g. 30s, 2m', default: '30s'}),
  };

  async run(): Promise<ClusterDescription> {
    const {flags} = await this.parse(ClusterCreate);
    let waitTimeoutMs: number;
    try {
      waitTimeoutMs = parseDuration(flags['wait-timeout']);
    } catch (err) {
      throw new CliError(`--wait-timeout: ${(err as Error).message}`, EXIT_USAGE);
    }
    const {createCluster} = await import('../../lib/cluster/create.js');
    const description = await createCluster({
      name: flags.name,
      cidr: flags.cidr,
      controlplanes: flags.controlplanes,
      workers: flags.workers,
      root: clustersRoot(process.env, os.homedir()),
      talosconfigPath: resolveTalosconfigPath(flags.talosconfig, process.env, os.homedir()),
      osdEntry: path.join(this.config.root, 'bin', 'osd.js'),
      waitTimeoutMs,
      signal: cancelSignal,
      progress: await createProgress(),
    });
    this.out.write(formatClusterTable(clusterView(description)));
    this.out.write(`\ncontext "${description.name}" is now current; try: ${this.config.bin} get members\n`);
    return description;
  }
}
