// What `cluster show` (and the end of `cluster create`) prints: the description plus each node's
// live state, as a table or as data.
import {renderTable} from '../output/table.js';
import type {ClusterDescription, ClusterNode} from './layout.js';
import {nodeState, NodeState} from './processes.js';

export interface ClusterNodeView extends ClusterNode {
  state: NodeState;
}

export interface ClusterView extends ClusterDescription {
  nodes: ClusterNodeView[];
}

export function clusterView(description: ClusterDescription): ClusterView {
  return {...description, nodes: description.nodes.map((node) => ({...node, state: nodeState(node)}))};
}

/** `NAME ROLE ADDRESS PID STATE STATE DIR`, laid out like talosctl's tables. */
export function formatClusterTable(view: ClusterView): string {
  const rows = view.nodes.map((n) => [n.name, n.role, n.address, n.pid > 0 ? String(n.pid) : '-', n.state, n.stateDir]);
  return renderTable(['NAME', 'ROLE', 'ADDRESS', 'PID', 'STATE', 'STATE DIR'], rows);
}
