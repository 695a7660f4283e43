import type ConfigContext from '../../commands/config/context.js';
import type {InvocationOf} from '../../base-command.js';
import type {RunContext} from '../../runtime.js';
import {setCurrentContext, writeTalosconfig} from '../../talosconfig.js';

export default async function context({flags, args}: InvocationOf<typeof ConfigContext>, ctx: RunContext) {
  const {path, config} = await ctx.talosconfigFile(flags);
  writeTalosconfig(path, setCurrentContext(config, args.name));
}
