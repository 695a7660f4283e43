import type ConfigEndpoint from '../../commands/config/endpoint.js';
import type {InvocationOf} from '../../base-command.js';
import type {RunContext} from '../../runtime.js';
import {setEndpoints, writeTalosconfig} from '../../talosconfig.js';

export default async function endpoint({flags, argv}: InvocationOf<typeof ConfigEndpoint>, ctx: RunContext) {
  const endpoints = argv.flatMap((value) => value.split(',')).filter(Boolean);
  const {path, config} = await ctx.talosconfigFile(flags);
  writeTalosconfig(path, setEndpoints(config, endpoints, flags.context));
  return endpoints;
}
