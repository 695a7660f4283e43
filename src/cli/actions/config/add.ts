import type ConfigAdd from '../../commands/config/add.js';
import type {InvocationOf} from '../../base-command.js';
import {CliError} from '../../errors.js';
import type {RunContext} from '../../runtime.js';
import {certificateProblem, keyPairProblem, privateKeyProblem} from '../../../machinery/pem.js';
import {addContext, readRegularFile, writeTalosconfig} from '../../talosconfig.js';

const PEM_FLAGS = {
  ca: {what: 'CA certificate', problem: certificateProblem},
  crt: {what: 'client certificate', problem: certificateProblem},
  key: {what: 'client private key', problem: privateKeyProblem},
} as const;

export default async function add({flags, args}: InvocationOf<typeof ConfigAdd>, ctx: RunContext) {
  const pem = (flag: keyof typeof PEM_FLAGS): string => {
    const {what, problem} = PEM_FLAGS[flag];
    const fix = `give --${flag} the path of the ${what} in PEM`;
    const text = readRegularFile(flags[flag], {what: `${what} (--${flag})`, fix});
    const why = problem(text);
    if (why) throw new CliError(`--${flag} "${flags[flag]}": the file is ${why}; ${fix}`);
    return text;
  };
  const ca = pem('ca');
  const crt = pem('crt');
  const key = pem('key');
  const mismatch = keyPairProblem(crt, key);
  if (mismatch) {
    throw new CliError(`--key "${flags.key}" and --crt "${flags.crt}": ${mismatch}; give the key that was issued with this certificate`);
  }
  const {path, config} = await ctx.talosconfigFile(flags);
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  const context = {endpoints: flags.endpoints ?? [], nodes: flags.nodes ?? [], ca: base64(ca), crt: base64(crt), key: base64(key)};
  writeTalosconfig(path, addContext(config, args.name, context));
}
