import type RebootCommand from '../commands/reboot.js';
import type {InvocationOf} from '../base-command.js';
import {CliError, EXIT_USAGE} from '../errors.js';
import type {NodeResult} from '../fanout.js';
import type {RunContext} from '../runtime.js';

/** talosctl's modes; DEFAULT=0, POWERCYCLE=1, FORCE=2 on the wire. */
const MODES: Record<string, number> = {default: 0, powercycle: 1, force: 2};

/** talosctl's `reboot`: silent on success without --wait; with it, each node is followed until it is back. */
export default async function reboot({flags}: InvocationOf<typeof RebootCommand>, ctx: RunContext): Promise<NodeResult<void>[]> {
  const mode = MODES[flags.mode];
  if (mode === undefined) throw new CliError(`invalid reboot mode: ${JSON.stringify(flags.mode)}`, EXIT_USAGE, ['--mode takes default, powercycle or force']);
  const [{runLifecycle, actorIdOf}, {MachineServiceService}] = await Promise.all([import('../lifecycle.js'), import('../../machinery/api/machine/machine.js')]);
  return runLifecycle({
    ctx,
    flags,
    verb: 'reboot',
    expect: 'back',
    call: async (client, node) => actorIdOf(await client.unary(MachineServiceService.reboot, {mode}, node), node),
  });
}
