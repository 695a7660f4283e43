import {existsSync} from 'node:fs';
import type ConfigNew from '../../commands/config/new.js';
import type {InvocationOf} from '../../base-command.js';
import {durationFlag} from '../../duration.js';
import {CliError, EXIT_USAGE} from '../../errors.js';
import type {RunContext} from '../../runtime.js';
import {TalosConfig, writeTalosconfig} from '../../talosconfig.js';
import {isKnownRole, KNOWN_ROLES} from '../../../machinery/roles.js';
import {loadYaml} from '../../../machinery/yaml.js';

export default async function newConfig({flags, args}: InvocationOf<typeof ConfigNew>, ctx: RunContext) {
  if (existsSync(args.path)) throw new CliError(`talosconfig file already exists: "${args.path}"`, 1, ['choose another path or remove the file']);
  const roles = [...new Set(flags.roles.map((r) => r.trim()).filter(Boolean))].sort();
  const unknown = roles.filter((r) => !isKnownRole(r));
  if (unknown.length > 0) throw new CliError(`unknown roles: ${unknown.join(', ')}`, EXIT_USAGE, [`known roles: ${KNOWN_ROLES.join(', ')}`]);
  const ttlMs = durationFlag('crt-ttl', flags['crt-ttl']);
  const session = await ctx.session(flags);
  const node = ctx.singleNode(session);
  const {generateClientConfiguration} = await import('../../machine-client.js');
  const generated = await ctx.withClient(session, (client) => generateClientConfiguration(client, node, roles, ttlMs));
  const config = loadYaml(generated.talosconfig) as TalosConfig;
  // The node leaves endpoints empty: it cannot know how this client reaches the cluster.
  const endpoints = flags.endpoints?.length ? flags.endpoints : session.config.context.endpoints ?? [];
  for (const context of Object.values(config.contexts ?? {})) context.endpoints = [...endpoints];
  writeTalosconfig(args.path, config);
  return {path: args.path, roles};
}
