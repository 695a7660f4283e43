import {BaseCommand} from '../../lib/base-command.js';
import {renderTable} from '../../lib/output/table.js';

export default class ConfigContexts extends BaseCommand {
  static summary = 'List the contexts in the talosconfig';
  static examples = ['<%= config.bin %> config contexts'];

  async run(): Promise<{current?: string; names: string[]}> {
    const {flags} = await this.parse(ConfigContexts);
    const {config} = this.talosconfigFile(flags);
    const names = Object.keys(config.contexts ?? {}).sort();
    const rows = names.map((name) => {
      const context = config.contexts![name];
      return [name === config.context ? '*' : '', name, (context.endpoints ?? []).join(','), (context.nodes ?? []).join(',')];
    });
    this.out.write(renderTable(['CURRENT', 'NAME', 'ENDPOINTS', 'NODES'], rows));
    return {current: config.context, names};
  }
}
