import type ConfigNode from '../../commands/config/node.js';
import type {InvocationOf} from '../../base-command.js';
import {checkedList, type RunContext} from '../../runtime.js';
import {quoteInput} from '../../quote.js';
import {normalizeNode, setNodes, writeTalosconfig} from '../../talosconfig.js';

export default async function node({flags, argv}: InvocationOf<typeof ConfigNode>, ctx: RunContext) {
  const nodes = argv.flatMap((value) => value.split(',').map((piece) => piece.trim()));
  checkedList(`osctl config node ${argv.map(quoteInput).join(' ')}`, nodes, normalizeNode);
  const {path, config} = await ctx.talosconfigFile(flags);
  writeTalosconfig(path, setNodes(config, nodes, flags.context));
  return nodes;
}
