// What `cluster show` (and the end of `cluster create`) prints: the description plus each node's
// live state, as a table or as data.
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

const COLUMN_GAP = 3;

/** `NAME ROLE ADDRESS PID STATE STATE DIR`, laid out like Go's tabwriter with padding 3. */
export function formatClusterTable(view: ClusterView): string {
  const header = ['NAME', 'ROLE', 'ADDRESS', 'PID', 'STATE', 'STATE DIR'];
  const rows = view.nodes.map((n) => [n.name, n.role, n.address, n.pid > 0 ? String(n.pid) : '-', n.state, n.stateDir]);
  return formatColumns([header, ...rows]);
}

export function formatColumns(lines: readonly string[][]): string {
  const widths: number[] = [];
  for (const cells of lines) cells.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return lines.map((cells) => cells.map((cell, i) => cell.padEnd(widths[i] + COLUMN_GAP)).join('').trimEnd() + '\n').join('');
}
