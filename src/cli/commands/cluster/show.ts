import {Flags} from '@oclif/core';
import {BaseCommand, outputFlag} from '../../base-command.js';
import {DEFAULT_CLUSTER_NAME} from '../../cluster/layout.js';

export default class ClusterShow extends BaseCommand {
  static summary = 'Show the nodes of a local cluster and whether their osd agents are running';
  static description = 'STATE is "running" when the recorded PID is still that node\'s osd agent, "stopped" otherwise.';
  static examples = ['<%= config.bin %> cluster show', '<%= config.bin %> cluster show --name lab -o json'];
  static flags = {
    name: Flags.string({description: 'cluster name', default: DEFAULT_CLUSTER_NAME}),
    output: outputFlag,
  };
}
