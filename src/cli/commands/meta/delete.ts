import {Args} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';

export default class MetaDelete extends BaseCommand {
  static summary = 'Delete a key from the META partition.';
  static description = 'The key as `meta write` takes it. A key that is not set is an error (NotFound). Prints nothing on success.';
  static usage = 'meta delete key';
  static examples = ['<%= config.bin %> meta delete 0x0c'];
  static args = {
    key: Args.string({description: 'key (0-255)', required: true}),
  };
}
