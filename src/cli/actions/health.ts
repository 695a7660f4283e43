import type HealthCommand from '../commands/health.js';
import type {InvocationOf} from '../base-command.js';
import {durationFlag} from '../duration.js';
import {CliError} from '../errors.js';
import type {ClusterNodes} from '../health.js';
import {checkedList, type RunContext} from '../runtime.js';

/**
 * talosctl's client-side `health`: the nodes from the flags, else from the discovery members; then
 * the checks one by one, reported on stderr. Exit 0 when all pass.
 */
export default async function health({flags}: InvocationOf<typeof HealthCommand>, ctx: RunContext): Promise<void> {
  const waitMs = durationFlag('wait-timeout', flags['wait-timeout']);
  const {normalizeNode} = await import('../talosconfig.js');
  const given = (flag: string, values: string[] | undefined): string[] => checkedList(`--${flag} ${(values ?? []).join(',')}`, values ?? [], normalizeNode);
  const session = await ctx.session(flags);
  const [{HEALTH_CHECKS, HealthReporter, runChecks}, {listResources}] = await Promise.all([import('../health.js'), import('../resource-client.js')]);
  await ctx.withClient(session, async (client) => {
    let cluster: ClusterNodes;
    const controlplane = given('control-plane-nodes', flags['control-plane-nodes']);
    const init = flags['init-node'] === undefined ? [] : given('init-node', [flags['init-node']]);
    if (controlplane.length > 0 || init.length > 0) {
      cluster = {init, controlplane, worker: given('worker-nodes', flags['worker-nodes'])};
    } else {
      const node = session.nodes[0];
      const members = await listResources(client, node, 'cluster', 'Members.cluster.talos.dev');
      cluster = {init: [], controlplane: [], worker: []};
      for (const member of members) {
        const spec = member.spec as {addresses?: string[]; machineType?: string};
        const address = spec.addresses?.[0];
        if (address === undefined) continue;
        const type = spec.machineType === 'init' || spec.machineType === 'controlplane' ? spec.machineType : 'worker';
        cluster[type].push(address);
      }
      if (cluster.init.length + cluster.controlplane.length === 0) {
        throw new CliError('no control plane nodes found in the cluster\'s discovery members', 1, ['name them with --control-plane-nodes (and --worker-nodes)']);
      }
      const all = [...cluster.init, ...cluster.controlplane, ...cluster.worker];
      ctx.err.write(`discovered nodes: [${all.map((address) => JSON.stringify(address)).join(' ')}]\n`);
    }
    await runChecks(client, cluster, HEALTH_CHECKS, waitMs, new HealthReporter(ctx.err), flags['wait-timeout']);
  });
}
