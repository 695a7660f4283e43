// The state directory is laid out like a node's filesystem; `osctl cluster create` prepares it.
import {join} from 'node:path';
import {PROCESS_GROUP_DIRS} from '../machinery/process-groups.js';

export interface StatePaths {
  root: string;
  config: string;
  nodeIdentity: string;
  serverCert: string;
  serverKey: string;
  forwardingClientCert: string;
  forwardingClientKey: string;
  hostname: string;
  log: string;
  /** The process groups of running services and containers, one directory each (see process-groups.ts). */
  serviceGroups: string;
  containerGroups: string;
}

export function statePaths(root: string): StatePaths {
  return {
    root,
    config: join(root, 'system/state/config.yaml'),
    nodeIdentity: join(root, 'system/state/node-identity'),
    serverCert: join(root, 'system/secrets/api.crt'),
    serverKey: join(root, 'system/secrets/api.key'),
    forwardingClientCert: join(root, 'system/secrets/apid-client.crt'),
    forwardingClientKey: join(root, 'system/secrets/apid-client.key'),
    hostname: join(root, 'etc/hostname'),
    log: join(root, 'var/log/osd.log'),
    serviceGroups: join(root, PROCESS_GROUP_DIRS.services),
    containerGroups: join(root, PROCESS_GROUP_DIRS.containers),
  };
}
