import {Args, Flags} from '@oclif/core';
import {BaseCommand, containerNamespaceFlags} from '../base-command.js';

export default class Logs extends BaseCommand {
  static summary = 'Retrieve logs for a service';
  static description =
    'Each line is printed as `<node>: <line>`; with several nodes, lines interleave as they arrive. ' +
    'With -k the id is a container id as `osctl containers -k` shows it (or `<namespace>/<pod>:<container>`), and the ' +
    'lines are in CRI format, each starting with its RFC 3339 timestamp. Service logs carry no timestamps of their own, ' +
    'so --since works with -k only. -f follows until Ctrl-C; a node that fails is reported and the others go on. ' +
    'Example: `osctl logs -k default/web-node-1:web -f --since 10m`.';
  // `-f` and `-k <id>` need a followed log or a pod: see the description; these run anywhere.
  static examples = [
    '<%= config.bin %> logs kubelet',
    '<%= config.bin %> logs controller-runtime --tail 20',
    '<%= config.bin %> -n 127.20.0.2,127.20.0.3 logs machined --tail 5',
  ];
  static args = {
    id: Args.string({description: 'service log id, or with -k a container id', required: true}),
  };
  // --tail is a string: the fast path hands values over unconverted; the action checks it.
  static flags = {
    ...containerNamespaceFlags,
    follow: Flags.boolean({char: 'f', description: 'specify if the logs should be streamed'}),
    tail: Flags.string({description: 'lines of log file to display (default is to show from the beginning)', default: '-1'}),
    since: Flags.string({description: 'only lines newer than this duration, e.g. 10m, 1h (CRI logs: needs -k)'}),
  };
}
