import type ConfigContexts from '../../commands/config/contexts.js';
import type {InvocationOf} from '../../base-command.js';
import {renderTable} from '../../output/table.js';
import type {RunContext} from '../../runtime.js';

export default async function contexts({flags}: InvocationOf<typeof ConfigContexts>, ctx: RunContext) {
  const {config} = await ctx.talosconfigFile(flags);
  const names = Object.keys(config.contexts ?? {}).sort();
  const rows = names.map((name) => {
    const context = config.contexts![name];
    return [name === config.context ? '*' : '', name, (context.endpoints ?? []).join(','), (context.nodes ?? []).join(',')];
  });
  ctx.out.write(renderTable(['CURRENT', 'NAME', 'ENDPOINTS', 'NODES'], rows));
  return {current: config.context, names};
}
