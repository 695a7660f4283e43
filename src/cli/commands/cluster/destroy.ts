import {Flags} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';
import {DEFAULT_CLUSTER_NAME} from '../../cluster/layout.js';

export default class ClusterDestroy extends BaseCommand {
  static summary = 'Stop the osd agents of a local cluster and remove its state and talosconfig context';
  static description =
    'Only processes that are still the cluster\'s own osd agents are signalled (SIGTERM, then SIGKILL after 5s). ' +
    'The context is removed from the talosconfig the cluster was created with, unless --talosconfig names another.';
  static examples = ['<%= config.bin %> cluster destroy', '<%= config.bin %> cluster destroy --name lab', '<%= config.bin %> cluster destroy --name pods'];
  static flags = {
    name: Flags.string({description: 'cluster name', default: DEFAULT_CLUSTER_NAME}),
  };
}
