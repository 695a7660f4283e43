import {homedir} from 'node:os';
import type ClusterShow from '../../commands/cluster/show.js';
import type {InvocationOf} from '../../base-command.js';
import {clustersRoot, readCluster} from '../../cluster/layout.js';
import {clusterView, ClusterView, formatClusterTable} from '../../cluster/view.js';
import {writeFormatted} from '../../output/write-formatted.js';
import type {RunContext} from '../../runtime.js';

export default async function show({flags}: InvocationOf<typeof ClusterShow>, ctx: RunContext): Promise<ClusterView> {
  const view = clusterView(readCluster(clustersRoot(process.env, homedir()), flags.name));
  await writeFormatted(flags.output, ctx.out, [view], () => ctx.out.write(formatClusterTable(view)));
  return view;
}
