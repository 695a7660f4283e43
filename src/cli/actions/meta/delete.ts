import type MetaDeleteCommand from '../../commands/meta/delete.js';
import type {InvocationOf} from '../../base-command.js';
import {fanOut, type NodeResult} from '../../fanout.js';
import type {RunContext} from '../../runtime.js';
import {parseMetaKey} from './key.js';

/** talosctl's `meta delete key`: MetaDelete per node, silent on success. */
export default async function metaDelete({flags, args}: InvocationOf<typeof MetaDeleteCommand>, ctx: RunContext): Promise<NodeResult<void>[]> {
  const key = parseMetaKey(args.key);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, machine] = await Promise.all([import('../../node-api.js'), import('../../../machinery/api/machine/machine.js')]);
  const results = await ctx.withClient(session, (client) =>
    fanOut(nodes, async (node) => {
      const response = await client.unary(machine.MachineServiceService.metaDelete, {key}, node);
      for (const message of response.messages) api.messageNode(message.metadata, node);
    }),
  );
  ctx.reportNodeErrors(results, 'error deleting meta from node');
  return results;
}
