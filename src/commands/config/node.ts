import {Args} from '@oclif/core';
import {BaseCommand} from '../../lib/base-command.js';
import {setNodes, writeTalosconfig} from '../../lib/talosconfig.js';

export default class ConfigNode extends BaseCommand {
  static summary = 'Set the default target nodes of the current context (or of --context)';
  static aliases = ['config:nodes'];
  static strict = false;
  static examples = ['<%= config.bin %> config node 127.20.0.2 127.20.0.3'];
  static args = {nodes: Args.string({description: 'node addresses', required: true})};

  async run(): Promise<string[]> {
    const {argv, flags} = await this.parse(ConfigNode);
    const nodes = (argv as string[]).flatMap((value) => value.split(',')).filter(Boolean);
    const {path, config} = this.talosconfigFile(flags);
    writeTalosconfig(path, setNodes(config, nodes, flags.context));
    return nodes;
  }
}
