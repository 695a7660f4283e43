// The flags reboot, reset and shutdown share with talosctl's (track.go): --wait, --debug, --timeout.
// Command classes only (imports @oclif/core).
import {Flags} from '@oclif/core';

export const lifecycleFlags = {
  wait: Flags.boolean({
    description: 'wait for the operation to complete, tracking its progress. always set to true when --debug is set',
    default: true,
    allowNo: true,
  }),
  // talosctl also streams the node's kernel log then; an osd node has no kernel of its own, so it only waits.
  debug: Flags.boolean({description: 'debug operation from kernel logs. --wait is set to true when this flag is set (osd: waits; a node has no kernel log of its own)'}),
  // Beyond talosctl (operator-asks §0.1): without -n, on a terminal, the targets from the context are confirmed first.
  yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation when the nodes come from the context rather than -n (never asked without a terminal)'}),
  // talosctl's --timeout here bounds the whole wait; each call still has its own short deadline.
  timeout: Flags.string({description: 'time to wait for the operation is complete if --debug or --wait is set', default: '30m'}),
};
