import {BaseCommand, outputFlag} from '../../lib/base-command.js';
import {certificateInfo} from '../../lib/pem.js';
import {contextCredentials, selectContext} from '../../lib/talosconfig.js';

/** Warn this long before the client certificate expires. */
const EXPIRY_WARNING_MS = 30 * 24 * 3600 * 1000;

export interface ConfigInfoResult {
  context: string;
  path: string;
  nodes: string[];
  endpoints: string[];
  roles: string[];
  notAfter: string;
  expiresInDays: number;
}

export default class ConfigInfo extends BaseCommand {
  static summary = 'Show the current context: nodes, endpoints, certificate roles and expiry';
  static examples = ['<%= config.bin %> config info', '<%= config.bin %> config info -o json'];
  static flags = {output: outputFlag};

  async run(): Promise<ConfigInfoResult> {
    const {flags} = await this.parse(ConfigInfo);
    const file = this.talosconfigFile(flags);
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
      expiresInDays: Math.floor(remainingMs / (24 * 3600 * 1000)),
    };
    if (remainingMs < EXPIRY_WARNING_MS) {
      process.stderr.write(
        `WARNING: the client certificate of context "${resolved.name}" ${remainingMs <= 0 ? 'expired' : 'expires'} on ${result.notAfter}; ` +
          'get a new one with `osctl config new <file> --roles os:admin` from a node, then `osctl config merge <file>`\n',
      );
    }
    if (flags.output === 'table') {
      const expiry = remainingMs <= 0 ? `expired (${result.notAfter})` : `in ${result.expiresInDays} days (${result.notAfter})`;
      this.out.write(
        `Current context:     ${result.context}\nNodes:               ${result.nodes.join(', ')}\n` +
          `Endpoints:           ${result.endpoints.join(', ')}\nRoles:               ${result.roles.join(', ')}\n` +
          `Certificate expires: ${expiry}\n`,
      );
    } else {
      const {parseOutputFormat} = await import('../../lib/output/resource-writer.js');
      const {writeStructured} = await import('../../lib/output/structured.js');
      writeStructured(parseOutputFormat(flags.output), this.out, [result]);
    }
    return result;
  }
}
