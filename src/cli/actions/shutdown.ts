import type ShutdownCommand from '../commands/shutdown.js';
import type {InvocationOf} from '../base-command.js';
import type {NodeResult} from '../fanout.js';
import type {RunContext} from '../runtime.js';

/** talosctl's `shutdown`: silent on success without --wait; with it, each node is followed until it is gone. */
export default async function shutdown({flags}: InvocationOf<typeof ShutdownCommand>, ctx: RunContext): Promise<NodeResult<void>[]> {
  const [{runLifecycle, actorIdOf}, {MachineServiceService}] = await Promise.all([import('../lifecycle.js'), import('../../machinery/api/machine/machine.js')]);
  return runLifecycle({
    ctx,
    flags,
    verb: 'shutdown',
    expect: 'gone',
    call: async (client, node) => actorIdOf(await client.unary(MachineServiceService.shutdown, {force: flags.force}, node), node),
  });
}
