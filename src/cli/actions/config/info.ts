import type ConfigInfo from '../../commands/config/info.js';
import type {InvocationOf} from '../../base-command.js';
import {certificateInfo} from '../../../machinery/pem.js';
import {timeFromNow} from '../../output/humanize.js';
import type {RunContext} from '../../runtime.js';
import {contextCredentials, selectContext} from '../../talosconfig.js';

/** Warn this long before the client certificate expires. */
const EXPIRY_WARNING_MS = 30 * 24 * 3600 * 1000;

/** talosctl's `config info` fields, in its order; lists a context lacks are null, as Go's nil slices. */
export interface ConfigInfoResult {
  context: string;
  nodes: string[] | null;
  endpoints: string[] | null;
  roles: string[];
  /** go-humanize: "1 year from now", "3 days ago" */
  certTTL: string;
  /** UTC date, YYYY-MM-DD */
  certNotAfter: string;
}

export default async function info({flags}: InvocationOf<typeof ConfigInfo>, ctx: RunContext): Promise<ConfigInfoResult> {
  const file = await ctx.talosconfigFile(flags);
  const resolved = selectContext(file.config, file.path, flags.context);
  const cert = certificateInfo(contextCredentials(resolved).crt);
  const now = new Date();
  const result: ConfigInfoResult = {
    context: resolved.name,
    nodes: resolved.context.nodes ?? null,
    endpoints: resolved.context.endpoints ?? null,
    roles: [...cert.roles].sort(),
    certTTL: timeFromNow(cert.notAfter, now),
    certNotAfter: cert.notAfter.toISOString().slice(0, 10),
  };
  const remainingMs = cert.notAfter.getTime() - now.getTime();
  if (remainingMs < EXPIRY_WARNING_MS) {
    ctx.err.write(
      `WARNING: the client certificate of context "${resolved.name}" ${remainingMs <= 0 ? 'expired' : 'expires'} on ${cert.notAfter.toISOString()}; ` +
        'get a new one with `osctl config new <file> --roles os:admin` from a control-plane node, then `osctl config merge <file>`\n',
    );
  }
  ctx.out.write(await render(flags.output, result));
  return result;
}

async function render(format: string, info: ConfigInfoResult): Promise<string> {
  switch (format) {
    case 'json': {
      // Go's json.Encoder with SetIndent("", "  "): struct field order, newline-terminated.
      const {encodeJson} = await import('../../output/json.js');
      return encodeJson(info, '  ', 'insertion') + '\n';
    }
    case 'yaml': {
      // yaml.v3 writes a nil slice as [] (JSON as null).
      const {toGoYaml} = await import('../../../machinery/yaml-emit.js');
      return toGoYaml({...info, nodes: info.nodes ?? [], endpoints: info.endpoints ?? []});
    }
    default:
      return textLayout(info);
  }
}

/** talosctl's template: "not defined" for missing lists, no Roles line for a certificate without roles. */
function textLayout(info: ConfigInfoResult): string {
  const list = (values: string[] | null) => (values?.length ? values.join(', ') : 'not defined');
  let text = `Current context:     ${info.context}\nNodes:               ${list(info.nodes)}\nEndpoints:           ${list(info.endpoints)}\n`;
  if (info.roles.length > 0) text += `Roles:               ${info.roles.join(', ')}\n`;
  return text + `Certificate expires: ${info.certTTL} (${info.certNotAfter})\n`;
}
