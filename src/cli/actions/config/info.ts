import type ConfigInfo from '../../commands/config/info.js';
import type {InvocationOf} from '../../base-command.js';
import {writeFormatted} from '../../output/write-formatted.js';
import {certificateInfo} from '../../../machinery/pem.js';
import type {RunContext} from '../../runtime.js';
import {contextCredentials, selectContext} from '../../talosconfig.js';

/** Warn this long before the client certificate expires. */
const EXPIRY_WARNING_MS = 30 * 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

export interface ConfigInfoResult {
  context: string;
  path: string;
  nodes: string[];
  endpoints: string[];
  roles: string[];
  notAfter: string;
  expiresInDays: number;
}

export default async function info({flags}: InvocationOf<typeof ConfigInfo>, ctx: RunContext): Promise<ConfigInfoResult> {
  const file = await ctx.talosconfigFile(flags);
  const resolved = selectContext(file.config, file.path, flags.context);
  const cert = certificateInfo(contextCredentials(resolved).crt);
  const remainingMs = cert.notAfter.getTime() - Date.now();
  const result: ConfigInfoResult = {
    context: resolved.name,
    path: resolved.path,
    nodes: resolved.context.nodes ?? [],
    endpoints: resolved.context.endpoints ?? [],
    roles: cert.roles,
    notAfter: cert.notAfter.toISOString(),
    expiresInDays: Math.floor(remainingMs / DAY_MS),
  };
  if (remainingMs < EXPIRY_WARNING_MS) {
    ctx.err.write(
      `WARNING: the client certificate of context "${resolved.name}" ${remainingMs <= 0 ? 'expired' : 'expires'} on ${result.notAfter}; ` +
        'get a new one with `osctl config new <file> --roles os:admin` from a control-plane node, then `osctl config merge <file>`\n',
    );
  }
  await writeFormatted(flags.output, ctx.out, [result], () => {
    const expiry = remainingMs <= 0 ? `expired (${result.notAfter})` : `in ${result.expiresInDays} days (${result.notAfter})`;
    ctx.out.write(
      `Current context:     ${result.context}\nNodes:               ${result.nodes.join(', ')}\n` +
        `Endpoints:           ${result.endpoints.join(', ')}\nRoles:               ${result.roles.join(', ')}\n` +
        `Certificate expires: ${expiry}\n`,
    );
  });
  return result;
}
