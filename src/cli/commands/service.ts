import {Args} from '@oclif/core';
import {BaseCommand, outputFlag} from '../base-command.js';

export default class Service extends BaseCommand {
  static summary = 'Retrieve the state of a service (or all services), control service state';
  static description =
    'Without arguments, lists every service of each node. With a service id, shows that service (the default action, ' +
    '`status`): its state, health and events, newest first. With `start`, `stop` or `restart`, asks each node to do it; ' +
    'which services allow which action is up to the node (kubelet: start and restart; ext-* extension services: all three). ' +
    '-o json|yaml prints the same data as structured documents.';
  static aliases = ['services'];
  static examples = [
    '<%= config.bin %> service',
    '<%= config.bin %> -n 127.20.0.2,127.20.0.3 service kubelet',
    '<%= config.bin %> service kubelet restart',
    '<%= config.bin %> service apid -o yaml',
  ];
  static args = {
    id: Args.string({description: 'service id (`osctl service` lists them)'}),
    action: Args.string({description: 'status (the default), start, stop or restart'}),
  };
  static flags = {
    output: outputFlag,
  };
}
