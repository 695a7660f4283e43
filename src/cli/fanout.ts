// Client-side fan-out: one call per node over the shared connection, results kept in the order the
// user listed the nodes. A node's failure never hides the others. Every node starts at once by
// default, as talosctl does: a watch never ends, so a bound would leave the nodes past it unwatched,
// and queued unary calls would each start their own --timeout after the ones before them.

export type NodeResult<T> = {node: string; value: T; error?: undefined} | {node: string; value?: undefined; error: Error};

export async function fanOut<T>(
  nodes: readonly string[],
  call: (node: string) => Promise<T>,
  concurrency = nodes.length,
): Promise<NodeResult<T>[]> {
  const results = new Array<NodeResult<T>>(nodes.length);
  let next = 0;
  const worker = async () => {
    while (next < nodes.length) {
      const index = next++;
      const node = nodes[index];
      try {
        results[index] = {node, value: await call(node)};
      } catch (err) {
        results[index] = {node, error: err instanceof Error ? err : new Error(String(err))};
      }
    }
  };
  await Promise.all(Array.from({length: Math.min(concurrency, nodes.length)}, worker));
  return results;
}
