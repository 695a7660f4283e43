import {existsSync} from 'node:fs';
import {Args, Flags} from '@oclif/core';
import * as yaml from 'js-yaml';
import {BaseCommand} from '../../lib/base-command.js';
import {parseDuration} from '../../lib/duration.js';
import {CliError} from '../../lib/errors.js';
import {TalosConfig, writeTalosconfig} from '../../lib/talosconfig.js';

const KNOWN_ROLES = ['os:admin', 'os:operator', 'os:reader', 'os:etcd:backup', 'os:image:verifier', 'os:meta:writer', 'os:impersonator'];

export default class ConfigNew extends BaseCommand {
  static summary = 'Ask a node for a new client configuration with the given roles';
  static description = 'The node (a control plane, os:admin required) issues a client certificate from its OS CA. The new file uses the endpoints of the current context (or -e).';
  static examples = [
    '<%= config.bin %> config new reader.talosconfig --roles os:reader',
    '<%= config.bin %> config new backup.talosconfig --roles os:etcd:backup --crt-ttl 720h',
  ];
  static args = {path: Args.string({description: 'where to write the new talosconfig', default: 'talosconfig'})};
  static flags = {
    roles: Flags.string({description: 'roles of the new certificate, comma-separated', default: ['os:admin'], delimiter: ',', multiple: true}),
    'crt-ttl': Flags.string({description: 'certificate lifetime, e.g. 8760h', default: '8760h'}),
  };

  async run(): Promise<{path: string; roles: string[]}> {
    const {args, flags} = await this.parse(ConfigNew);
    if (existsSync(args.path)) throw new CliError(`talosconfig file already exists: "${args.path}"`, 1, ['choose another path or remove the file']);
    const roles = [...new Set(flags.roles.map((r) => r.trim()).filter(Boolean))].sort();
    const unknown = roles.filter((r) => !KNOWN_ROLES.includes(r));
    if (unknown.length > 0) throw new CliError(`unknown roles: ${unknown.join(', ')}`, 2, [`known roles: ${KNOWN_ROLES.join(', ')}`]);
    let ttlMs: number;
    try {
      ttlMs = parseDuration(flags['crt-ttl']);
    } catch (err) {
      throw new CliError(`--crt-ttl: ${(err as Error).message}`, 2);
    }
    const session = this.resolveSession(flags);
    const node = this.singleNode(session);
    const {generateClientConfiguration} = await import('../../lib/machine-client.js');
    const generated = await this.withClient(session, (client) => generateClientConfiguration(client, node, roles, ttlMs));
    const config = yaml.load(generated.talosconfig) as TalosConfig;
    for (const context of Object.values(config.contexts ?? {})) context.endpoints = session.endpoints.map((e) => e.replace(/:50000$/, ''));
    writeTalosconfig(args.path, config);
    process.stderr.write(`wrote talosconfig with roles ${roles.join(', ')} to ${args.path} (context "${config.context}")\n`);
    return {path: args.path, roles};
  }
}
