import {Args, Flags} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';

export default class ConfigNew extends BaseCommand {
  static summary = 'Ask a node for a new client configuration with the given roles';
  static description = 'The node (a control plane; os:admin required) issues a client certificate from its OS CA. The new file uses the endpoints of the current context (or -e).';
  static examples = [
    '<%= config.bin %> config new reader.talosconfig --roles os:reader',
    '<%= config.bin %> config new backup.talosconfig --roles os:etcd:backup --crt-ttl 720h',
  ];
  static args = {path: Args.string({description: 'where to write the new talosconfig', default: 'talosconfig'})};
  static flags = {
    roles: Flags.string({description: 'roles of the new certificate, comma-separated', default: ['os:admin'], delimiter: ',', multiple: true, multipleNonGreedy: true}),
    'crt-ttl': Flags.string({description: 'certificate lifetime, e.g. 8760h', default: '8760h'}),
  };
}
