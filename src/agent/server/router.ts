// Where a call is handled: here, or forwarded to the node named by the `node` metadata.
import {status, type Metadata} from '@grpc/grpc-js';
import {fqdn} from '../controllers/hostname.js';
import {HOSTNAME_STATUS_TYPE, MEMBER_TYPE, type HostnameStatusSpec, type MemberSpec} from '../controllers/resource-types.js';
import {canonicalIp} from '../net.js';
import type {ResourceStore} from '../store/store.js';
import {NODE_METADATA_KEY, NODES_METADATA_KEY, PROXY_FROM_METADATA_KEY, type ForwardTarget} from './forward.js';
import {RpcError} from './rpc-error.js';

export type Route = {local: true} | {local: false; target: ForwardTarget};

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export class Router {
  private readonly ownIp: string;

  /** Forwarded calls go to the same port this agent listens on: a cluster's nodes share it. */
  constructor(
    private readonly options: {address: string; port: number; store: ResourceStore},
  ) {
    this.ownIp = canonicalIp(options.address) ?? options.address;
  }

  route(metadata: Metadata): Route {
    // Another node already routed this call here.
    if (metadata.get(PROXY_FROM_METADATA_KEY).length > 0) return {local: true};
    if (metadata.get(NODES_METADATA_KEY).length > 0) {
      throw new RpcError(status.INVALID_ARGUMENT, 'one-2-many proxying is not supported; use the node metadata');
    }
    // HTTP/2 folds repeated headers into one comma-separated value; node names never contain commas.
    const nodes = metadata
      .get(NODE_METADATA_KEY)
      .flatMap((value) => String(value).split(','))
      .map((value) => value.trim())
      .filter((value) => value !== '');
    if (nodes.length === 0) return {local: true};
    if (nodes.length > 1) throw new RpcError(status.INVALID_ARGUMENT, 'node metadata must be single-valued');

    const node = nodes[0];
    const ip = canonicalIp(node);
    if (ip === undefined && !HOST_NAME.test(node)) {
      throw new RpcError(
        status.INVALID_ARGUMENT,
        `node metadata "${node}" is neither an IP address nor a host name; give the node's address without a port`,
      );
    }
    const resolved = ip ?? this.memberAddress(node);
    if (resolved === this.ownIp || (ip === undefined && this.ownNames().includes(node.toLowerCase()))) {
      return {local: true};
    }

    const host = resolved ?? node;
    const dialHost = host.includes(':') ? `[${host}]` : host;
    return {local: false, target: {node, address: `${dialHost}:${this.options.port}`}};
  }

  private ownNames(): string[] {
    const status = this.options.store.get<HostnameStatusSpec>({namespace: 'network', type: HOSTNAME_STATUS_TYPE, id: 'hostname'});
    return status === undefined ? [] : [status.spec.hostname.toLowerCase(), fqdn(status.spec).toLowerCase()];
  }

  /** Cluster members are known by name (the member id) and FQDN: resolve those without DNS. */
  private memberAddress(name: string): string | undefined {
    const lower = name.toLowerCase();
    const member = this.options.store
      .list<MemberSpec>('cluster', MEMBER_TYPE)
      .find((candidate) => candidate.metadata.id.toLowerCase() === lower || candidate.spec.hostname.toLowerCase() === lower);
    return member?.spec.addresses.map(canonicalIp).find((address) => address !== undefined);
  }
}
