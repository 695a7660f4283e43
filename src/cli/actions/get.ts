import type Get from '../commands/get.js';
import type {InvocationOf} from '../base-command.js';
import type {OsClient} from '../client.js';
import {CliError} from '../errors.js';
import {fanOut, NodeResult} from '../fanout.js';
import type {ResourceWriter} from '../output/resource-writer.js';
import type {ResourceRecord} from '../output/types.js';
import type {WatchItem} from '../resource-client.js';
import {ResourceDefinition, resolveResourceType} from '../resources.js';
import type {RunContext} from '../runtime.js';

export interface GetResult {
  definition: ResourceDefinition;
  namespace: string;
  results: NodeResult<ResourceRecord[]>[];
}

export default async function get({flags, args}: InvocationOf<typeof Get>, ctx: RunContext): Promise<GetResult | void> {
  const [{createResourceWriter, parseOutputFormat}, rc] = await Promise.all([
    import('../output/resource-writer.js'),
    import('../resource-client.js'),
  ]);
  const format = parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  return ctx.withClient(session, async (client) => {
    const {definitions, failed} = await definitionsFromFirstAnswer(client, nodes, rc.listDefinitions);
    const definition = resolveResourceType(definitions, args.type);
    const namespace = flags.namespace ?? definition.defaultNamespace;
    const writer = createResourceWriter(format, ctx.out, {watch: flags.watch});
    writer.writeHeader(definition);
    // A node that failed while the types were resolved is reported with that failure, not asked again.
    const rethrowFailure = (node: string): void => {
      const failure = failed.get(node);
      if (failure !== undefined) throw failure;
    };
    if (flags.watch) {
      (await import('../output/reader-watch.js')).exitWhenReaderLeaves();
      await watch(ctx, nodes, async function* (node) {
        rethrowFailure(node);
        yield* rc.watchResources(client, node, namespace, definition.type, args.id);
      }, writer);
      return;
    }
    const results = await fanOut(nodes, async (node) => {
      rethrowFailure(node);
      return args.id === undefined
        ? rc.listResources(client, node, namespace, definition.type)
        : [await rc.getResource(client, node, namespace, definition.type, args.id)];
    });
    for (const result of results) for (const record of result.value ?? []) writer.writeResource(record);
    writer.flush();
    ctx.reportNodeErrors(results);
    return {definition, namespace, results};
  });
}

/**
 * Watches every node at once; output is flushed once a node's current state is in, then per event.
 * A node whose stream fails is reported when it happens, while the other nodes' streams go on.
 */
async function watch(ctx: RunContext, nodes: string[], open: (node: string) => AsyncGenerator<WatchItem>, writer: ResourceWriter) {
  const results = await fanOut(nodes, (node) => ctx.reportingFailure(node, async () => {
    let bootstrapped = false;
    for await (const item of open(node)) {
      if (item.kind === 'bootstrapped') bootstrapped = true;
      else writer.writeResource(item.record, item.event);
      if (bootstrapped) writer.flush();
    }
  }));
  ctx.setNodeExitCode(results);
}

/**
 * Resource definitions from the first node that answers; a dead first node must not stop the rest.
 * The nodes that failed on the way come back with their errors: asking them again for the
 * resources would only spend another timeout on each.
 */
async function definitionsFromFirstAnswer(
  client: OsClient,
  nodes: string[],
  list: (client: OsClient, node: string) => Promise<ResourceDefinition[]>,
): Promise<{definitions: ResourceDefinition[]; failed: Map<string, Error>}> {
  const failed = new Map<string, Error>();
  for (const node of nodes) {
    try {
      return {definitions: await list(client, node), failed};
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      failed.set(node, err);
    }
  }
  throw failed.values().next().value;
}
