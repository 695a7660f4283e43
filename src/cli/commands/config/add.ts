import {Args, Flags} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';

export default class ConfigAdd extends BaseCommand {
  static summary = 'Add a context from PEM files (CA, client certificate and key)';
  static examples = ['<%= config.bin %> config add staging --ca ca.crt --crt admin.crt --key admin.key -e 127.20.0.2'];
  static args = {name: Args.string({description: 'new context name', required: true})};
  static flags = {
    ca: Flags.file({description: 'CA certificate (PEM)', required: true}),
    crt: Flags.file({description: 'client certificate (PEM)', required: true}),
    key: Flags.file({description: 'client private key (PEM)', required: true}),
  };
}
