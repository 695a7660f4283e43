// Where the etcd service keeps its files in a node's state folder, in Talos's layout:
// data in var/lib/etcd, an uploaded snapshot next to it, certificates under system/secrets/etcd.
import {join} from 'node:path';

export interface EtcdPaths {
  /** The node's state folder: nothing is written outside it. */
  root: string;
  /** The parent of the data dir; EtcdRecover refuses uploads until it exists. */
  varLib: string;
  dataDir: string;
  /** Where EtcdRecover stores the upload (Talos's /var/lib/etcd.snapshot). */
  snapshot: string;
  secrets: string;
  ca: string;
  /** Serving and peer certificate (Talos uses its peer certificate for both). */
  peerCert: string;
  peerKey: string;
  /** The client certificate osd (and etcdctl) uses against the member. */
  adminCert: string;
  adminKey: string;
}

export function etcdPaths(root: string): EtcdPaths {
  const secrets = join(root, 'system/secrets/etcd');
  return {
    root,
    varLib: join(root, 'var/lib'),
    dataDir: join(root, 'var/lib/etcd'),
    snapshot: join(root, 'var/lib/etcd.snapshot'),
    secrets,
    ca: join(secrets, 'ca.crt'),
    peerCert: join(secrets, 'peer.crt'),
    peerKey: join(secrets, 'peer.key'),
    adminCert: join(secrets, 'admin.crt'),
    adminKey: join(secrets, 'admin.key'),
  };
}

/** The member's client and peer URLs on the node's own address. */
export function etcdUrls(address: string): {client: string; peer: string; endpoint: string} {
  const host = address.includes(':') ? `[${address}]` : address;
  return {client: `https://${host}:2379`, peer: `https://${host}:2380`, endpoint: `${host}:2379`};
}
