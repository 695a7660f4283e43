import * as os from 'node:os';
import {Flags} from '@oclif/core';
import {BaseCommand} from '../../lib/base-command.js';
import {DestroyResult, destroyCluster} from '../../lib/cluster/destroy.js';
import {clustersRoot, DEFAULT_CLUSTER_NAME} from '../../lib/cluster/layout.js';
import {createProgress} from '../../lib/cluster/progress.js';
import {resolveTalosconfigPath} from '../../lib/talosconfig.js';

export default class ClusterDestroy extends BaseCommand {
  static summary = 'Stop the osd agents of a local cluster and remove its state and talosconfig context';
  static description =
    'Only processes that are still the cluster\'s own osd agents are signalled (SIGTERM, then SIGKILL after 5s). ' +
    'The context is removed from the talosconfig the cluster was created with, unless --talosconfig names another.';
  static examples = ['<%= config.bin %> cluster destroy', '<%= config.bin %> cluster destroy --name lab'];
  static flags = {
    name: Flags.string({description: 'cluster name', default: DEFAULT_CLUSTER_NAME}),
  };

  async run(): Promise<DestroyResult> {
    const {flags} = await this.parse(ClusterDestroy);
    const result = await destroyCluster({
      root: clustersRoot(process.env, os.homedir()),
      name: flags.name,
      talosconfigFlag: flags.talosconfig,
      fallbackTalosconfig: resolveTalosconfigPath(undefined, process.env, os.homedir()),
      progress: await createProgress(),
    });
    const stopped = result.processes.filter((p) => p.outcome === 'terminated' || p.outcome === 'killed').length;
    let text = `destroyed cluster "${result.name}": stopped ${stopped} osd process${stopped === 1 ? '' : 'es'}, removed ${result.clusterDir}`;
    if (result.contextRemovedFrom) {
      text += `, removed context "${result.name}" from ${result.contextRemovedFrom}`;
      text += result.currentContext ? ` (current context is now "${result.currentContext}")` : ' (no current context is left)';
    }
    this.out.write(`${text}\n`);
    return result;
  }
}
