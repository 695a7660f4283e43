import {Args} from '@oclif/core';
import {BaseCommand, outputFlag} from '../../../base-command.js';

export default class EtcdSnapshotInspect extends BaseCommand {
  static summary = 'Check an etcd snapshot file and print its hash, revision, keys and size';
  static description =
    'Offline: reads the file with osctl\'s own bbolt reader (no etcd needed), checks its structure (pages in bounds, ' +
    'referenced once, of the right type, elements inside their pages, keys in order) and its sha256 trailer when it ' +
    'has one, and prints what talosctl prints after a snapshot: `snapshot info: hash %08x, revision N, total keys N, ' +
    'total size N` (total keys: distinct live keys, as etcdutl 3.6 counts them), then the trailer: `valid`, or ' +
    '`absent` for a database copied out of a data directory (member/snap/db: restore it with ' +
    '--recover-skip-hash-check). A damaged database, or a trailer that does not match, is an error (exit 1). ' +
    '`-o json|yaml` gives {hash, revision, totalKey, totalSize, trailer: {present, valid}}. Works on the file of ' +
    '`etcd snapshot`, `etcdctl snapshot save`, or a member\'s db.';
  static examples = [
    '<%= config.bin %> etcd snapshot inspect db.snapshot',
    '<%= config.bin %> etcd snapshot inspect db.snapshot -o json',
  ];
  static args = {
    file: Args.string({description: 'snapshot file', required: true}),
  };
  static flags = {
    output: outputFlag,
  };
}
