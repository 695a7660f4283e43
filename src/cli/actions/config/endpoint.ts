import type ConfigEndpoint from '../../commands/config/endpoint.js';
import type {InvocationOf} from '../../base-command.js';
import {checkedList, type RunContext} from '../../runtime.js';
import {quoteInput} from '../../quote.js';
import {normalizeEndpoint, setEndpoints, writeTalosconfig} from '../../talosconfig.js';

export default async function endpoint({flags, argv}: InvocationOf<typeof ConfigEndpoint>, ctx: RunContext) {
  const endpoints = argv.flatMap((value) => value.split(',').map((piece) => piece.trim()));
  checkedList(`osctl config endpoint ${argv.map(quoteInput).join(' ')}`, endpoints, normalizeEndpoint);
  const {path, config} = await ctx.talosconfigFile(flags);
  writeTalosconfig(path, setEndpoints(config, endpoints, flags.context));
  return endpoints;
}
