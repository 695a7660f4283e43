import type ConfigNode from '../../commands/config/node.js';
import type {InvocationOf} from '../../base-command.js';
import type {RunContext} from '../../runtime.js';
import {setNodes, writeTalosconfig} from '../../talosconfig.js';

export default async function node({flags, argv}: InvocationOf<typeof ConfigNode>, ctx: RunContext) {
  const nodes = argv.flatMap((value) => value.split(',')).filter(Boolean);
  const {path, config} = await ctx.talosconfigFile(flags);
  writeTalosconfig(path, setNodes(config, nodes, flags.context));
  return nodes;
}
