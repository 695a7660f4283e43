import {readFileSync} from 'node:fs';
import {Args, Flags} from '@oclif/core';
import {BaseCommand} from '../../lib/base-command.js';
import {CliError} from '../../lib/errors.js';
import {addContext, writeTalosconfig} from '../../lib/talosconfig.js';

export default class ConfigAdd extends BaseCommand {
  static summary = 'Add a context from PEM files (CA, client certificate and key)';
  static examples = ['<%= config.bin %> config add lab --ca ca.crt --crt admin.crt --key admin.key -e 10.5.0.2'];
  static args = {name: Args.string({description: 'new context name', required: true})};
  static flags = {
    ca: Flags.file({description: 'CA certificate (PEM)', required: true, exists: true}),
    crt: Flags.file({description: 'client certificate (PEM)', required: true, exists: true}),
    key: Flags.file({description: 'client private key (PEM)', required: true, exists: true}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ConfigAdd);
    const pem = (flag: 'ca' | 'crt' | 'key') => {
      const text = readFileSync(flags[flag], 'utf8');
      if (!text.includes('-----BEGIN ')) throw new CliError(`--${flag} ${flags[flag]}: not a PEM file`);
      return Buffer.from(text).toString('base64');
    };
    const {path, config} = this.talosconfigFile(flags);
    writeTalosconfig(
      path,
      addContext(config, args.name, {endpoints: flags.endpoints ?? [], nodes: flags.nodes ?? [], ca: pem('ca'), crt: pem('crt'), key: pem('key')}),
    );
    process.stderr.write(`added context "${args.name}" to ${path}\n`);
  }
}
