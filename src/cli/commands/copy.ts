import {Args} from '@oclif/core';
import {BaseCommand} from '../base-command.js';

export default class Copy extends BaseCommand {
  static summary = 'Copy data out from the node';
  static description =
    'Creates a .tar.gz archive at the node starting at <src-path> and streams it back. With `-` the archive is written ' +
    'to stdout as it comes. Otherwise it is extracted into <local-path>, which must be a directory or not exist yet ' +
    '(it is then created): an entry that already exists there is an error and nothing is written, and the archive is ' +
    'first extracted into a hidden folder inside <local-path> and moved into place only when complete, so a failure or ' +
    'Ctrl-C leaves nothing partial. Entries that would land outside <local-path> (`..`, absolute names, through a ' +
    'symlink) are refused. File modes are kept (folders also get u+rwx), ownership is not; symlinks are recreated, ' +
    'devices and FIFOs become empty files. Files the node could not read are reported after the copy (exit 1).';
  static aliases = ['cp'];
  static examples = [
    '<%= config.bin %> cp /etc/kubernetes ./node-kubernetes',
    '<%= config.bin %> copy /etc/hostname - # the .tar.gz on stdout, e.g. for | tar tzvf -',
  ];
  static args = {
    src: Args.string({description: 'path on the node', required: true}),
    dest: Args.string({description: 'local directory, or - for the .tar.gz on stdout', required: true}),
  };
}
