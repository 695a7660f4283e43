import {readFileSync} from 'node:fs';
import type ConfigAdd from '../../commands/config/add.js';
import type {InvocationOf} from '../../base-command.js';
import {CliError} from '../../errors.js';
import type {RunContext} from '../../runtime.js';
import {addContext, writeTalosconfig} from '../../talosconfig.js';

export default async function add({flags, args}: InvocationOf<typeof ConfigAdd>, ctx: RunContext) {
  const pem = (flag: 'ca' | 'crt' | 'key') => {
    const text = readFileSync(flags[flag], 'utf8');
    if (!text.includes('-----BEGIN ')) throw new CliError(`--${flag} ${flags[flag]}: not a PEM file`);
    return Buffer.from(text).toString('base64');
  };
  const {path, config} = await ctx.talosconfigFile(flags);
  const context = {endpoints: flags.endpoints ?? [], nodes: flags.nodes ?? [], ca: pem('ca'), crt: pem('crt'), key: pem('key')};
  writeTalosconfig(path, addContext(config, args.name, context));
}
