import {Flags} from '@oclif/core';
import {BaseCommand, outputFlag} from '../lib/base-command.js';
import {fanOut} from '../lib/fanout.js';
import type {BuildInfo, ServerVersion} from '../lib/machine-client.js';
import type {Sink} from '../lib/output/types.js';

export interface VersionResult {
  client: BuildInfo;
  servers: {node: string; version?: ServerVersion; error?: string}[];
}

export default class Version extends BaseCommand {
  static summary = 'Print the client version and the version of each node';
  static examples = ['<%= config.bin %> version', '<%= config.bin %> version --client', '<%= config.bin %> version -n 127.20.0.2,127.20.0.3 -o json'];
  static flags = {
    output: outputFlag,
    client: Flags.boolean({description: 'print the client version only; needs no talosconfig'}),
  };

  async run(): Promise<VersionResult> {
    const {flags} = await this.parse(Version);
    const client: BuildInfo = {
      tag: `v${this.config.version}`,
      sha: process.env.OSCTL_BUILD_SHA ?? 'unknown',
      built: '',
      runtime: `node ${process.version}`,
      os: process.platform,
      arch: process.arch === 'x64' ? 'amd64' : process.arch,
    };
    const result: VersionResult = {client, servers: []};
    if (flags.client) {
      await this.print(flags.output, result);
      return result;
    }
    const session = this.resolveSession(flags);
    const nodes = this.targetNodes(session);
    const {serverVersion} = await import('../lib/machine-client.js');
    const results = await this.withClient(session, (c) => fanOut(nodes, (node) => serverVersion(c, node)));
    result.servers = results.map((r) => (r.error ? {node: r.node, error: r.error.message} : {node: r.node, version: r.value}));
    await this.print(flags.output, result);
    this.reportNodeErrors(results);
    return result;
  }

  private async print(output: string, result: VersionResult): Promise<void> {
    if (output === 'table') {
      printVersionText(this.out, result);
      return;
    }
    const {parseOutputFormat} = await import('../lib/output/resource-writer.js');
    const {writeStructured} = await import('../lib/output/structured.js');
    writeStructured(parseOutputFormat(output), this.out, [result]);
  }
}

/** talosctl's layout: a Client block, then one Server block per node that answered. */
function printVersionText(out: Sink, result: VersionResult): void {
  const block = (info: BuildInfo, runtimeLabel: string) =>
    `\tTag:         ${info.tag}\n\tSHA:         ${info.sha}\n\tBuilt:       ${info.built}\n` +
    `\t${runtimeLabel.padEnd(13)}${info.runtime}\n\tOS/Arch:     ${info.os}/${info.arch}\n`;
  let text = 'Client:\n' + block(result.client, 'Runtime:');
  const answered = result.servers.filter((s) => s.version);
  if (answered.length > 0) text += 'Server:\n';
  for (const server of answered) {
    const v = server.version!;
    text += `\tNODE:        ${server.node}\n` + block(v, 'Go version:');
    if (v.features?.rbac) text += '\tEnabled:     RBAC\n';
  }
  out.write(text);
}
