// cluster.NodeIdentityController: the node id, persisted in the state dir and published as
// Identities.cluster.talos.dev/local.
import {randomBytes} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {writeFileAtomicAsync as writeFileAtomic} from '../../machinery/fs-atomic.js';
import type {ResourceStore} from '../store/store.js';
import {IDENTITY_TYPE, type IdentitySpec} from './resource-types.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const NODE_ID = /^[0-9A-Za-z]{20,64}$/;

export function base62(bytes: Uint8Array): string {
  let value = BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
  let text = '';
  while (value > 0n) {
    text = BASE62[Number(value % 62n)] + text;
    value /= 62n;
  }
  return text || '0';
}

/** Reads the node id, creating it (base62 of 32 random bytes) on first start. */
export async function loadOrCreateNodeId(path: string): Promise<string> {
  let existing: string | undefined;
  try {
    existing = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (existing !== undefined) {
    if (!NODE_ID.test(existing)) {
      throw new Error(`${path} does not hold a node id (base62 text); delete the file to let osd create a new one`);
    }
    return existing;
  }
  const nodeId = base62(randomBytes(32));
  await writeFileAtomic(path, `${nodeId}\n`, 0o600);
  return nodeId;
}

export function publishIdentity(store: ResourceStore, nodeId: string): void {
  store.put<IdentitySpec>({type: IDENTITY_TYPE, id: 'local', owner: 'cluster.NodeIdentityController', spec: {nodeId}});
}
