import * as os from 'node:os';
import {Flags} from '@oclif/core';
import {BaseCommand} from '../../lib/base-command.js';
import {clustersRoot, DEFAULT_CLUSTER_NAME, readCluster} from '../../lib/cluster/layout.js';
import {clusterView, ClusterView, formatClusterTable} from '../../lib/cluster/view.js';

export default class ClusterShow extends BaseCommand {
  static summary = 'Show the nodes of a local cluster and whether their osd agents are running';
  static examples = ['<%= config.bin %> cluster show', '<%= config.bin %> cluster show --name lab -o json'];
  static flags = {
    name: Flags.string({description: 'cluster name', default: DEFAULT_CLUSTER_NAME}),
    output: Flags.option({char: 'o', description: 'output format', options: ['table', 'json', 'yaml'] as const, default: 'table'})(),
  };

  async run(): Promise<ClusterView> {
    const {flags} = await this.parse(ClusterShow);
    const view = clusterView(readCluster(clustersRoot(process.env, os.homedir()), flags.name));
    if (flags.output === 'table') {
      this.out.write(formatClusterTable(view));
    } else if (flags.output === 'json') {
      this.out.write(`${JSON.stringify(view, null, 2)}\n`);
    } else {
      const yaml = await import('js-yaml');
      this.out.write(yaml.dump(view, {lineWidth: -1, noRefs: true}));
    }
    return view;
  }
}
