import {homedir} from 'node:os';
import type ClusterCreate from '../../commands/cluster/create.js';
import type {InvocationOf} from '../../base-command.js';
import {cancelSignal} from '../../cancel.js';
import {createCluster} from '../../cluster/create.js';
import {loadClusterPatches} from '../../cluster/patches.js';
import {clustersRoot, ClusterDescription, parseCount} from '../../cluster/layout.js';
import {createProgress} from '../../cluster/progress.js';
import {clusterView, formatClusterTable} from '../../cluster/view.js';
import {durationFlag} from '../../duration.js';
import type {RunContext} from '../../runtime.js';

export default async function create({flags}: InvocationOf<typeof ClusterCreate>, ctx: RunContext): Promise<ClusterDescription> {
  const waitTimeoutMs = durationFlag('wait-timeout', flags['wait-timeout']);
  const controlplanes = parseCount('controlplanes', flags.controlplanes);
  const workers = parseCount('workers', flags.workers);
  const talosconfig = await ctx.talosconfigFile(flags); // an unreadable talosconfig fails now, before anything starts
  // Bad patches fail now too, before anything is created.
  const patches = loadClusterPatches({
    all: flags['config-patch'] ?? [],
    controlplane: flags['config-patch-control-plane'] ?? [],
    worker: flags['config-patch-worker'] ?? [],
  });
  const description = await createCluster({
    name: flags.name,
    cidr: flags.cidr,
    controlplanes,
    workers,
    root: clustersRoot(process.env, homedir()),
    talosconfigPath: talosconfig.path,
    waitTimeoutMs,
    patches,
    signal: cancelSignal,
    progress: await createProgress(ctx.err),
    err: ctx.err,
    skipBootstrap: flags['skip-bootstrap'] === true,
  });
  ctx.out.write(formatClusterTable(clusterView(description)));
  ctx.out.write(`\ncontext "${description.name}" is now current; try: osctl get members\n`);
  return description;
}
