import type MetaWriteCommand from '../../commands/meta/write.js';
import type {InvocationOf} from '../../base-command.js';
import {fanOut, type NodeResult} from '../../fanout.js';
import type {RunContext} from '../../runtime.js';
import {parseMetaKey} from './key.js';

/** talosctl's `meta write key value`: MetaWrite per node, silent on success. */
export default async function metaWrite({flags, args}: InvocationOf<typeof MetaWriteCommand>, ctx: RunContext): Promise<NodeResult<void>[]> {
  const key = parseMetaKey(args.key);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, machine] = await Promise.all([import('../../node-api.js'), import('../../../machinery/api/machine/machine.js')]);
  const value = Buffer.from(args.value, 'utf8');
  const results = await ctx.withClient(session, (client) =>
    fanOut(nodes, async (node) => {
      const response = await client.unary(machine.MachineServiceService.metaWrite, {key, value}, node);
      for (const message of response.messages) api.messageNode(message.metadata, node);
    }),
  );
  ctx.reportNodeErrors(results, 'error writing meta to node');
  return results;
}
