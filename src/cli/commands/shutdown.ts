import {Flags} from '@oclif/core';
import {BaseCommand} from '../base-command.js';
import {lifecycleFlags} from '../lifecycle-flags.js';

export default class Shutdown extends BaseCommand {
  static summary = 'Shutdown a node';
  static description =
    'On osd a shutdown stops every service and container of the node and ends its osd process. With --wait (the ' +
    'default) it follows each node until its API no longer answers; the progress goes to stderr (a spinner on a ' +
    'terminal, plain lines otherwise). Nothing asks for confirmation. ' +
    'Examples: `osctl -n 127.20.0.4 shutdown`, `osctl -n 127.20.0.4 shutdown --force --wait=false`.';
  // No runnable examples: a shutdown node stays down, and the examples after it need the cluster.
  static flags = {
    force: Flags.boolean({description: 'if true, force a node to shutdown without a cordon/drain'}),
    ...lifecycleFlags,
  };
}
