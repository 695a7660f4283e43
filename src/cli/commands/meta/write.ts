import {Args} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';

export default class MetaWrite extends BaseCommand {
  static summary = 'Write a key-value pair to the META partition.';
  static description =
    'The key is a number from 0 to 255, decimal, 0x hex, 0o octal or 0b binary (as Go\'s strconv.ParseUint reads it); ' +
    'the value is stored as given. osd keeps a node\'s META in its state folder (system/state/meta, Talos\'s layout); ' +
    'each key shows as a MetaKeys resource (`osctl get meta`). Prints nothing on success.';
  static usage = 'meta write key value';
  static examples = ['<%= config.bin %> meta write 0x0c "hello"', '<%= config.bin %> -n 127.20.0.2,127.20.0.3 meta write 12 v2'];
  static args = {
    key: Args.string({description: 'key (0-255)', required: true}),
    value: Args.string({description: 'value', required: true}),
  };
}
