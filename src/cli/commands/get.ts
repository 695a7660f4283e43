import {Args, Flags} from '@oclif/core';
import {BaseCommand, outputFlag} from '../base-command.js';

export default class Get extends BaseCommand {
  static summary = 'Get a resource, or list resources of a type, from the nodes';
  static description = 'The type is resolved through the node\'s resource definitions: a full type, its id, or any alias (`osctl get rd` lists them), case-insensitively.';
  static aliases = ['g'];
  static examples = [
    '<%= config.bin %> get members',
    '<%= config.bin %> -n 127.20.0.3 get hostname',
    '<%= config.bin %> get mc v1alpha1 -o yaml',
    '<%= config.bin %> get members -w -o ndjson',
    "<%= config.bin %> get members -o jsonpath='{.spec.hostname}'",
  ];
  static args = {
    type: Args.string({description: 'resource type, id or alias', required: true}),
    id: Args.string({description: 'resource id'}),
  };
  static flags = {
    output: outputFlag,
    namespace: Flags.string({description: 'resource namespace (default: the type\'s default namespace)'}),
    watch: Flags.boolean({char: 'w', description: 'watch for changes; the `*` column shows + created, - destroyed'}),
  };
}
