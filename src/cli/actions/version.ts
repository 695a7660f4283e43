import type VersionCommand from '../commands/version.js';
import type {InvocationOf} from '../base-command.js';
import {fanOut, type NodeResult} from '../fanout.js';
import type {VersionMessage} from '../machine-client.js';
import type {RunContext} from '../runtime.js';
import {writeFormatted} from '../output/write-formatted.js';

type VersionInfo = NonNullable<VersionMessage['version']>;

export interface VersionResult {
  client: VersionInfo;
  /** every targeted node, in order: its Version messages, or why it failed */
  servers: {node: string; messages?: VersionMessage[]; error?: string}[];
}

/** talosctl's version.Name; `--short` prints it with the tag. */
const CLIENT_NAME = 'osctl';

export default async function version({flags, version}: InvocationOf<typeof VersionCommand>, ctx: RunContext): Promise<VersionResult> {
  const {readBuildInfo} = await import('../../machinery/build-info.js');
  const build = readBuildInfo(version);
  // no build time, as talosctl's (its Built is never set); absent, as protojson leaves out ""
  const client: VersionInfo = {tag: build.tag, sha: build.sha, goVersion: build.runtime, os: build.os, arch: build.arch};
  const text = !flags.json && flags.output === 'table';
  const printClient = (serverLine: boolean) => {
    if (text) ctx.out.write('Client:\n' + (flags.short ? `${CLIENT_NAME} ${client.tag}\n` : versionBlock(client)) + (serverLine ? 'Server:\n' : ''));
  };
  let results: NodeResult<VersionMessage[]>[] = [];
  if (flags.client) {
    printClient(false);
  } else {
    const session = await ctx.session(flags);
    const nodes = ctx.targetNodes(session);
    const {serverVersion} = await import('../machine-client.js');
    results = await ctx.withClient(session, (c) => {
      // As talosctl, the Client block and the Server line come before any node is asked (so the
      // Server line is there even when no node answers); a bad talosconfig or flag prints only its error.
      printClient(true);
      return fanOut(nodes, (node) => serverVersion(c, node));
    });
  }
  const result: VersionResult = {
    client,
    servers: results.map((r) => (r.error ? {node: r.node, error: r.error.message} : {node: r.node, messages: r.value})),
  };
  if (flags.json) {
    const {encodeJson} = await import('../output/json.js');
    const messages = flags.client ? [{version: client}] : result.servers.flatMap((s) => s.messages ?? []);
    for (const message of messages) ctx.out.write(encodeJson(message, '', 'insertion') + '\n');
  } else {
    await writeFormatted(flags.output, ctx.out, [result], () => ctx.out.write(formatServerEntries(result.servers)));
  }
  ctx.reportNodeErrors(results);
  return result;
}

/** talosctl's version template (pkg/machinery/version), for the client and for each node. */
function versionBlock(info: VersionInfo): string {
  return `\tTag:         ${info.tag ?? ''}\n\tSHA:         ${info.sha ?? ''}\n\tBuilt:       ${info.built ?? ''}\n` +
    `\tGo version:  ${info.goVersion ?? ''}\n\tOS/Arch:     ${info.os ?? ''}/${info.arch ?? ''}\n`;
}

/**
 * One entry per message of each node that answered (a message of a merged one-to-many answer names
 * its node in metadata); `Enabled:` is printed even when empty, as talosctl does.
 */
export function formatServerEntries(servers: VersionResult['servers']): string {
  let text = '';
  for (const server of servers) {
    for (const message of server.messages ?? []) {
      const enabled = message.features?.rbac ? ['RBAC'] : [];
      text += `\tNODE:        ${message.metadata?.hostname || server.node}\n` + versionBlock(message.version ?? {}) + `\tEnabled:     ${enabled.join(', ')}\n`;
    }
  }
  return text;
}
