import type VersionCommand from '../commands/version.js';
import type {InvocationOf} from '../base-command.js';
import {fanOut} from '../fanout.js';
import type {BuildInfo, ServerVersion} from '../machine-client.js';
import type {Sink} from '../output/types.js';
import type {RunContext} from '../runtime.js';
import {writeFormatted} from '../output/write-formatted.js';

export interface VersionResult {
  client: BuildInfo;
  servers: {node: string; version?: ServerVersion; error?: string}[];
}

export default async function version({flags, version}: InvocationOf<typeof VersionCommand>, ctx: RunContext): Promise<VersionResult> {
  const client: BuildInfo = {
    tag: `v${version}`,
    sha: process.env.OSCTL_BUILD_SHA ?? 'unknown',
    built: '',
    runtime: `node ${process.version}`,
    os: process.platform,
    arch: process.arch === 'x64' ? 'amd64' : process.arch,
  };
  const results = flags.client ? [] : await serverVersions(flags, ctx);
  const result: VersionResult = {
    client,
    servers: results.map((r) => (r.error ? {node: r.node, error: r.error.message} : {node: r.node, version: r.value})),
  };
  await writeFormatted(flags.output, ctx.out, [result], () => printVersionText(ctx.out, result));
  ctx.reportNodeErrors(results);
  return result;
}

async function serverVersions(flags: InvocationOf<typeof VersionCommand>['flags'], ctx: RunContext) {
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const {serverVersion} = await import('../machine-client.js');
  return ctx.withClient(session, (c) => fanOut(nodes, (node) => serverVersion(c, node)));
}

/** talosctl's layout: a Client block, then a Server block with one entry per node that answered. */
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
