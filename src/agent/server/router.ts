// Where a call is handled: here, forwarded to the node named by `node`, or fanned out to the `nodes`.
import {status, type Metadata} from '@grpc/grpc-js';
import {fqdn} from '../controllers/hostname.js';
import {HOSTNAME_STATUS_TYPE, MEMBER_TYPE, type HostnameStatusSpec, type MemberSpec} from '../controllers/resource-types.js';
import {canonicalIp} from '../net.js';
import type {ResourceStore} from '../store/store.js';
import {NODE_METADATA_KEY, NODES_METADATA_KEY, PROXY_FROM_METADATA_KEY, type ForwardTarget} from './forward.js';
import {allowsOneToMany} from './one-to-many.js';
import {RpcError} from './rpc-error.js';

/** Where a call goes: handled here, forwarded to one node (`node`), or fanned out to several (`nodes`, one-to-many.ts). */
export type Route = {kind: 'local'} | {kind: 'one'; target: ForwardTarget} | {kind: 'many'; targets: ForwardTarget[]};

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export class Router {
  private readonly ownIp: string;

  /** Forwarded calls go to the same port this agent listens on: a cluster's nodes share it. */
  constructor(
    private readonly options: {address: string; port: number; store: ResourceStore},
  ) {
    this.ownIp = canonicalIp(options.address) ?? options.address;
  }

  /** apid's director (talos-api.md §4.1): `proxyfrom` first, then `node` validity, then `nodes` over `node`. */
  route(metadata: Metadata, path: string): Route {
    // Another node already routed this call here.
    if (metadata.get(PROXY_FROM_METADATA_KEY).length > 0) return {kind: 'local'};
    const node = nodeValues(metadata, NODE_METADATA_KEY);
    if (node.length > 1) throw new RpcError(status.INVALID_ARGUMENT, 'node metadata must be single-valued');
    const nodes = nodeValues(metadata, NODES_METADATA_KEY);
    if (nodes.length > 0) {
      if (!allowsOneToMany(path)) throw new RpcError(status.INVALID_ARGUMENT, `one-2-many proxying is not supported for method ${path}`);
      return {kind: 'many', targets: nodes.map((name) => this.target(name))};
    }
    if (node.length === 0) return {kind: 'local'};
    const target = this.target(node[0]);
    return target.address === this.ownAddress ? {kind: 'local'} : {kind: 'one', target};
  }

  /** Where to dial `node`: an IP, a cluster member's name or this node's own name, else a DNS name. */
  private target(node: string): ForwardTarget {
    const ip = canonicalIp(node);
    if (ip === undefined && !HOST_NAME.test(node)) {
      throw new RpcError(
        status.INVALID_ARGUMENT,
        `node metadata "${node}" is neither an IP address nor a host name; give the node's address without a port`,
      );
    }
    const own = ip === undefined && this.ownNames().includes(node.toLowerCase());
    const host = own ? this.ownIp : (ip ?? this.memberAddress(node) ?? node);
    return {node, address: dialAddress(host, this.options.port)};
  }

  private get ownAddress(): string {
    return dialAddress(this.ownIp, this.options.port);
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

/** The node names of one metadata key. HTTP/2 folds repeated headers into one comma-separated value; node names never contain commas. */
function nodeValues(metadata: Metadata, key: string): string[] {
  return metadata
    .get(key)
    .flatMap((value) => String(value).split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

/** `host:port`, with an IPv6 host in brackets. */
export function dialAddress(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
