// `cluster create --config-patch[-control-plane|-worker]`: the patches are read and checked before
// anything is created, and applied to each node's generated machine config (the common ones first,
// then the node's role's), as talosctl applies them.
import {CliError, EXIT_USAGE} from '../errors.js';
import {readRegularFile, UserFileError} from '../talosconfig.js';
import {applyConfigPatches, ConfigPatchError, loadPatches, type ConfigPatch} from '../../machinery/machineconfig/patch.js';
import type {MachineConfigDocument} from '../../machinery/machineconfig/types.js';
import type {ClusterNode} from './layout.js';

export interface RolePatches {
  all: ConfigPatch[];
  controlplane: ConfigPatch[];
  worker: ConfigPatch[];
}

const FLAGS = {all: '--config-patch', controlplane: '--config-patch-control-plane', worker: '--config-patch-worker'} as const;

/** Reads every patch argument (`@file`, inline, or a bare file name); a bad one is a usage error naming its flag. */
export function loadClusterPatches(args: Record<keyof RolePatches, string[]>): RolePatches | undefined {
  if (args.all.length + args.controlplane.length + args.worker.length === 0) return undefined;
  const load = (role: keyof RolePatches): ConfigPatch[] => {
    const flag = FLAGS[role];
    try {
      return loadPatches(args[role], (file) => readRegularFile(file, {what: `${flag} file`, fix: `give ${flag} @<file> or the patch itself`}));
    } catch (err) {
      if (err instanceof ConfigPatchError || err instanceof UserFileError) throw new CliError(`${flag}: ${err.message}`, EXIT_USAGE);
      throw err;
    }
  };
  return {all: load('all'), controlplane: load('controlplane'), worker: load('worker')};
}

function patchesFor(node: Pick<ClusterNode, 'role'>, patches: RolePatches): ConfigPatch[] {
  return [...patches.all, ...(node.role === 'controlplane' ? patches.controlplane : patches.worker)];
}

/** The node's config with its patches applied (the same object when it has none). */
export function patchNodeConfig(config: MachineConfigDocument, node: Pick<ClusterNode, 'role' | 'name'>, patches: RolePatches | undefined): MachineConfigDocument {
  const list = patches ? patchesFor(node, patches) : [];
  if (list.length === 0) return config;
  try {
    return applyConfigPatches(config, list);
  } catch (err) {
    if (err instanceof ConfigPatchError) throw new CliError(`node ${node.name}: ${err.message}`, EXIT_USAGE);
    throw err;
  }
}

/** The patches applied to the node, as its errors name them. */
export function patchSources(node: Pick<ClusterNode, 'role'>, patches: RolePatches | undefined): string {
  return patches ? patchesFor(node, patches).map((p) => p.source).join(', ') : '';
}
