// MachineService calls used by commands, returning plain data. Loaded lazily with the client.
import {MachineServiceService} from '../machinery/api/machine/machine.js';
import type {OsClient} from './client.js';

export interface BuildInfo {
  tag: string;
  sha: string;
  built: string;
  /** the server's toolchain (Talos: Go; osd: Node.js) */
  runtime: string;
  os: string;
  arch: string;
}

export interface ServerVersion extends BuildInfo {
  platform?: {name: string; mode: string};
  features?: {rbac: boolean};
}

export async function serverVersion(client: OsClient, node: string): Promise<ServerVersion> {
  const response = await client.unary(MachineServiceService.version, {}, node);
  const message = response.messages[0];
  const v = message?.version;
  return {
    tag: v?.tag ?? '',
    sha: v?.sha ?? '',
    built: v?.built ?? '',
    runtime: v?.goVersion ?? '',
    os: v?.os ?? '',
    arch: v?.arch ?? '',
    platform: message?.platform && {name: message.platform.name, mode: message.platform.mode},
    features: message?.features && {rbac: message.features.rbac},
  };
}

export async function generateClientConfiguration(
  client: OsClient,
  node: string,
  roles: string[],
  ttlMs: number,
): Promise<{talosconfig: string}> {
  const seconds = BigInt(Math.floor(ttlMs / 1000));
  const response = await client.unary(
    MachineServiceService.generateClientConfiguration,
    {roles, crtTtl: {seconds, nanos: Math.round((ttlMs % 1000) * 1e6)}},
    node,
  );
  return {talosconfig: Buffer.from(response.messages[0]?.talosconfig ?? new Uint8Array()).toString('utf8')};
}
