import {Flags} from '@oclif/core';
import {BaseCommand} from '../base-command.js';
import {lifecycleFlags} from '../lifecycle-flags.js';

export default class Reboot extends BaseCommand {
  static summary = 'Reboot a node';
  static description =
    'On osd a reboot stops every service and container of the node and starts its runtime again in the same process ' +
    '(the PID stays). Every mode restarts it the same way. With --wait (the default) it follows each node until its API ' +
    'answers again with machined Running; the progress goes to stderr (a spinner on a terminal, plain lines otherwise). ' +
    'Nothing asks for confirmation. ' +
    'Examples: `osctl -n 127.20.0.3 reboot`, `osctl -n 127.20.0.3,127.20.0.4 reboot --wait=false`, `osctl reboot --mode powercycle --timeout 2m`.';
  // No runnable examples: the examples of the other commands run against nodes a reboot would take away meanwhile.
  static flags = {
    mode: Flags.string({char: 'm', description: 'select the reboot mode: "default", "powercycle" (skips kexec), "force" (skips graceful teardown)', default: 'default'}),
    ...lifecycleFlags,
  };
}
