import {Args, Flags} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';

export default class EtcdSnapshot extends BaseCommand {
  static summary = 'Stream snapshot of the etcd node to the path.';
  static description =
    'Exactly one control-plane node streams its etcd member\'s snapshot (the bbolt database followed by etcd\'s sha256 ' +
    'digest). It is written to <path>.part (mode 0600) and fsynced; the digest is checked (the size must be 512·n + 32 ' +
    'and the sha256 of the data must equal the last 32 bytes), then read (bbolt integrity, as `etcd snapshot inspect`) ' +
    'and renamed to <path>. Any failure, Ctrl-C included, leaves neither <path> nor the .part file — except a ' +
    'database osctl cannot read whose digest matches: that is what etcd sent, so it is kept, with an error (exit 1). Prints `etcd snapshot saved to "<path>" (N bytes)` and `snapshot info: hash …, revision …, total ' +
    'keys …, total size …` (total keys: distinct live keys, as talosctl counts them). With `-` the stream goes to stdout ' +
    'as it arrives and nothing else is printed there; the digest is still checked at the end (exit 1 when it does not ' +
    'match). A folder, a device, FIFO or socket as <path>, and - with stdout on a terminal, are refused before anything ' +
    'is downloaded; a link at <path> is replaced by the file, as talosctl does. On a terminal, stderr shows the bytes received and the rate. A stream that sends nothing for ' +
    '--stall-timeout fails instead of hanging; --timeout bounds connecting and the first answer.';
  static examples = ['<%= config.bin %> etcd snapshot db.snapshot'];
  static args = {
    path: Args.string({description: 'local file to write, or - for stdout', required: true}),
  };
  static flags = {
    'stall-timeout': Flags.string({description: 'fail when the stream sends nothing for this long, e.g. 30s, 2m', default: '30s'}),
  };
}
