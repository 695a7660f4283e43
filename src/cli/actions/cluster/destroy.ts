import {homedir} from 'node:os';
import type ClusterDestroy from '../../commands/cluster/destroy.js';
import type {InvocationOf} from '../../base-command.js';
import {DestroyResult, destroyCluster} from '../../cluster/destroy.js';
import {clustersRoot} from '../../cluster/layout.js';
import {createProgress} from '../../cluster/progress.js';
import type {RunContext} from '../../runtime.js';
import {resolveTalosconfigPath} from '../../talosconfig.js';

export default async function destroy({flags}: InvocationOf<typeof ClusterDestroy>, ctx: RunContext): Promise<DestroyResult> {
  const result = await destroyCluster({
    root: clustersRoot(process.env, homedir()),
    name: flags.name,
    talosconfigFlag: flags.talosconfig,
    fallbackTalosconfig: resolveTalosconfigPath(undefined, process.env, homedir()),
    progress: await createProgress(ctx.err),
  });
  const stopped = result.processes.filter((p) => p.outcome === 'terminated' || p.outcome === 'killed').length;
  let text = `destroyed cluster "${result.name}": stopped ${stopped} osd process${stopped === 1 ? '' : 'es'}, removed ${result.clusterDir}`;
  if (result.contextRemovedFrom) {
    text += `, removed context "${result.name}" from ${result.contextRemovedFrom}`;
    text += result.currentContext ? ` (current context is now "${result.currentContext}")` : ' (no current context is left)';
  }
  ctx.out.write(`${text}\n`);
  return result;
}
