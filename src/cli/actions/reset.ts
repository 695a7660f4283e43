import type ResetCommand from '../commands/reset.js';
import type {InvocationOf} from '../base-command.js';
import {CliError, EXIT_USAGE} from '../errors.js';
import type {NodeResult} from '../fanout.js';
import type {RunContext} from '../runtime.js';

/** talosctl's --wipe-mode values; ALL=0, SYSTEM_DISK=1, USER_DISKS=2 on the wire. */
const WIPE_MODES: Record<string, number> = {all: 0, 'system-disk': 1, 'user-disks': 2};

/**
 * talosctl's `reset`: each label of --system-labels-to-wipe becomes {label, wipe: true}. Silent on
 * success without --wait; with it, each node is followed until it is back (--reboot) or gone.
 */
export default async function reset({flags}: InvocationOf<typeof ResetCommand>, ctx: RunContext): Promise<NodeResult<void>[]> {
  const mode = WIPE_MODES[flags['wipe-mode']];
  if (mode === undefined) {
    throw new CliError(`invalid argument ${JSON.stringify(flags['wipe-mode'])} for "--wipe-mode" flag: possible options are: all, system-disk, user-disks`, EXIT_USAGE);
  }
  const request = {
    // Absent is true (the fast path leaves booleans it was not given unset: the manifest keeps no boolean defaults).
    graceful: flags.graceful !== false,
    reboot: flags.reboot,
    systemPartitionsToWipe: (flags['system-labels-to-wipe'] ?? []).map((label) => ({label, wipe: true})),
    userDisksToWipe: flags['user-disks-to-wipe'] ?? [],
    mode,
  };
  const [{runLifecycle, actorIdOf}, {MachineServiceService}] = await Promise.all([import('../lifecycle.js'), import('../../machinery/api/machine/machine.js')]);
  return runLifecycle({
    ctx,
    flags,
    verb: 'reset',
    expect: flags.reboot ? 'back' : 'gone',
    call: async (client, node) => actorIdOf(await client.unary(MachineServiceService.reset, request, node), node),
  });
}
