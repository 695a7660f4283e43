// What `cluster show` (and the end of `cluster create`) prints: the description plus each node's
// live state, as a table or as data.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {renderTable} from '../output/table.js';
import {etcdClientFiles, type ClusterDescription, type ClusterNode} from './layout.js';
import {nodeState, NodeState} from './processes.js';

export interface ClusterNodeView extends ClusterNode {
  state: NodeState;
  /** Control planes: where their etcd member answers, and files that etcdctl can use (--cacert, --cert, --key). */
  etcd?: {endpoint: string; ca: string; cert: string; key: string};
}

export interface ClusterView extends ClusterDescription {
  nodes: ClusterNodeView[];
}

export function clusterView(description: ClusterDescription): ClusterView {
  return {...description, nodes: description.nodes.map((node) => ({...node, state: nodeState(node), ...etcdView(node)}))};
}

function etcdView(node: ClusterNode): Pick<ClusterNodeView, 'etcd'> {
  // Clusters made before osd ran etcd have no client files.
  const files = etcdClientFiles(path.dirname(node.stateDir));
  if (node.role !== 'controlplane' || !fs.existsSync(files.cert)) return {};
  return {etcd: {endpoint: `https://${node.address}:2379`, ...files}};
}

/** `NAME ROLE ADDRESS PID STATE STATE DIR`, laid out like talosctl's tables. */
export function formatClusterTable(view: ClusterView): string {
  const rows = view.nodes.map((n) => [n.name, n.role, n.address, n.pid > 0 ? String(n.pid) : '-', n.state, n.stateDir]);
  return renderTable(['NAME', 'ROLE', 'ADDRESS', 'PID', 'STATE', 'STATE DIR'], rows);
}
