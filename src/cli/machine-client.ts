// MachineService calls used by commands, returning plain data. Loaded lazily with the client.
import {MachineServiceService, Version} from '../machinery/api/machine/machine.js';
import type {OsClient} from './client.js';

/** One Version message as protojson writes it: lowerCamelCase names, empty fields left out. */
export interface VersionMessage {
  metadata?: {hostname?: string; error?: string};
  version?: {tag?: string; sha?: string; built?: string; goVersion?: string; os?: string; arch?: string};
  platform?: {name?: string; mode?: string};
  features?: {rbac?: boolean};
}

/** The node's Version answer: one message, or one per node when apid merges a one-to-many call. */
export async function serverVersion(client: OsClient, node: string): Promise<VersionMessage[]> {
  const response = await client.unary(MachineServiceService.version, {}, node);
  return response.messages.map((message) => Version.toJSON(message) as VersionMessage);
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
