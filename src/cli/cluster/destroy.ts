// `cluster destroy`: stop the cluster's osd processes (ours only), drop its talosconfig context,
// remove its state. The state goes last, so an interrupted destroy can simply be run again.
import * as fs from 'node:fs';
import {CliError, EXIT_FAILURE} from '../errors.js';
import {readTalosconfig, removeContext, setCurrentContext, TalosConfig, writeTalosconfig} from '../talosconfig.js';
import {clusterDirFor, clusterFilePath, creatingMarkerPath, readCluster} from './layout.js';
import {StopOutcome, stopNodeProcesses} from './processes.js';
import type {Progress} from './progress.js';

/** osd's graceful shutdown gets this long before SIGKILL. */
export const STOP_GRACE_MS = 5000;

export interface DestroyResult {
  name: string;
  clusterDir: string;
  processes: StopOutcome[];
  /** the talosconfig the context was removed from; undefined when it held no such context */
  contextRemovedFrom?: string;
  /** the current context afterwards, if any */
  currentContext?: string;
}

export async function destroyCluster(opts: {
  root: string;
  name: string;
  /** --talosconfig; otherwise the file recorded at create time, else `fallbackTalosconfig` */
  talosconfigFlag?: string;
  fallbackTalosconfig: string;
  progress: Progress;
}): Promise<DestroyResult> {
  const clusterDir = clusterDirFor(opts.root, opts.name);
  // Only the create marker: a create killed before it wrote cluster.json started no process, so
  // there is only the folder (and maybe the context) to remove.
  const description = recognisedFolder(clusterDir) === 'interrupted create'
    ? {name: opts.name, cidr: '', created: '', talosconfig: '', nodes: []}
    : readCluster(opts.root, opts.name);
  const {progress} = opts;

  progress.step(`stopping the osd processes of cluster "${opts.name}"`);
  const processes = await stopNodeProcesses(description.nodes, STOP_GRACE_MS);
  const stuck = processes.filter((p) => p.outcome === 'still running');
  if (stuck.length > 0) {
    progress.finish(false);
    throw new CliError(
      `could not stop ${stuck.map((p) => `${p.node} (PID ${p.pid})`).join(', ')}; the cluster's state in ${clusterDir} was kept: stop the process by hand, then run \`osctl cluster destroy --name ${opts.name}\` again`,
    );
  }

  const talosconfigPath = opts.talosconfigFlag ?? (description.talosconfig || opts.fallbackTalosconfig);
  progress.step(`removing context "${opts.name}" from ${talosconfigPath}`);
  const config = readTalosconfig(talosconfigPath);
  let currentContext = config.context;
  let contextRemovedFrom: string | undefined;
  if (config.contexts && Object.hasOwn(config.contexts, opts.name)) {
    const updated = withoutContext(config, opts.name);
    writeTalosconfig(talosconfigPath, updated);
    currentContext = updated.context;
    contextRemovedFrom = talosconfigPath;
  }

  progress.step(`removing ${clusterDir}`);
  fs.rmSync(clusterDir, {recursive: true, force: true});
  progress.finish(true);
  return {name: opts.name, clusterDir, processes, contextRemovedFrom, currentContext};
}

/** Removes a context; if it was the current one, another remaining context becomes current. */
function withoutContext(config: TalosConfig, name: string): TalosConfig {
  const removed = removeContext(config, name);
  const remaining = Object.keys(removed.contexts ?? {});
  return removed.context === undefined && remaining.length > 0 ? setCurrentContext(removed, remaining[0]) : removed;
}

/**
 * Only folders osctl can prove it made are ever removed: a real directory (not a symlink) holding
 * its own cluster.json, or the marker a create writes before anything else. A missing folder is
 * left to readCluster, which names the clusters there are.
 */
function recognisedFolder(clusterDir: string): 'missing' | 'cluster' | 'interrupted create' {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(clusterDir);
  } catch {
    return 'missing';
  }
  if (stat.isDirectory() && isRegularFile(clusterFilePath(clusterDir))) return 'cluster';
  if (stat.isDirectory() && isRegularFile(creatingMarkerPath(clusterDir))) return 'interrupted create';
  throw new CliError(
    `${clusterDir} is not a local cluster osctl recognises (${stat.isDirectory() ? 'it has no cluster.json' : 'it is not a directory'}); nothing was removed`,
    EXIT_FAILURE,
    ['if it is left over from something else, inspect and remove it by hand'],
  );
}

function isRegularFile(file: string): boolean {
  try {
    return fs.lstatSync(file).isFile();
  } catch {
    return false;
  }
}
