import type ConfigRemove from '../../commands/config/remove.js';
import type {InvocationOf} from '../../base-command.js';
import {CliError} from '../../errors.js';
import type {RunContext} from '../../runtime.js';
import {removeContext, writeTalosconfig} from '../../talosconfig.js';

export default async function remove({flags, args}: InvocationOf<typeof ConfigRemove>, ctx: RunContext) {
  const {path, config} = await ctx.talosconfigFile(flags);
  const updated = removeContext(config, args.name);
  if (!flags.yes) {
    if (!process.stdin.isTTY) {
      throw new CliError(`refusing to remove context "${args.name}" without confirmation: stdin is not a terminal`, 1, ['pass --yes to remove it']);
    }
    const {default: inquirer} = await import('inquirer');
    const answer = await inquirer.prompt<{remove: boolean}>([
      {type: 'confirm', name: 'remove', message: `Remove context "${args.name}" from ${path}?`, default: false},
    ]);
    if (!answer.remove) {
      ctx.err.write('nothing removed\n');
      return;
    }
  }
  writeTalosconfig(path, updated);
}
