import {Args, Flags} from '@oclif/core';
import {BaseCommand, outputFlag} from '../lib/base-command.js';
import type {OsClient} from '../lib/client.js';
import {CliError} from '../lib/errors.js';
import {fanOut, NodeResult} from '../lib/fanout.js';
import type {ResourceWriter} from '../lib/output/resource-writer.js';
import type {ResourceRecord} from '../lib/output/types.js';
import type {WatchItem} from '../lib/resource-client.js';
import {ResourceDefinition, resolveResourceType} from '../lib/resources.js';

export interface GetResult {
  definition: ResourceDefinition;
  namespace: string;
  results: NodeResult<ResourceRecord[]>[];
}

export default class Get extends BaseCommand {
  static summary = 'Get a resource, or list resources of a type, from the nodes';
  static description = 'The type is resolved through the node\'s resource definitions: a full type, its id, or any alias (`osctl get rd` lists them), case-insensitively.';
  static aliases = ['g'];
  static examples = [
    '<%= config.bin %> get members',
    '<%= config.bin %> -n 127.20.0.3 get hostname',
    '<%= config.bin %> get mc v1alpha1 -o yaml',
    '<%= config.bin %> get svc -w -o ndjson',
    "<%= config.bin %> get members -o jsonpath='{.spec.hostname}'",
  ];
  static args = {
    type: Args.string({description: 'resource type, id or alias', required: true}),
    id: Args.string({description: 'resource id'}),
  };
  static flags = {
    output: outputFlag,
    namespace: Flags.string({description: 'resource namespace (default: the type\'s default namespace)'}),
    watch: Flags.boolean({char: 'w', description: 'watch for changes; the `*` column shows + created, - destroyed'}),
  };

  async run(): Promise<GetResult | void> {
    const {args, flags} = await this.parse(Get);
    const {createResourceWriter, parseOutputFormat} = await import('../lib/output/resource-writer.js');
    const format = parseOutputFormat(flags.output);
    const session = this.resolveSession(flags);
    const nodes = this.targetNodes(session);
    const rc = await import('../lib/resource-client.js');
    return this.withClient(session, async (client) => {
      const definition = resolveResourceType(await definitionsFromFirstAnswer(client, nodes, rc.listDefinitions), args.type);
      const namespace = flags.namespace ?? definition.defaultNamespace;
      const writer = createResourceWriter(format, this.out, {watch: flags.watch});
      writer.writeHeader(definition);
      if (flags.watch) {
        await this.watch(nodes, (node) => rc.watchResources(client, node, namespace, definition.type, args.id), writer);
        return;
      }
      const results = await fanOut(nodes, async (node) =>
        args.id === undefined
          ? rc.listResources(client, node, namespace, definition.type)
          : [await rc.getResource(client, node, namespace, definition.type, args.id)],
      );
      for (const result of results) for (const record of result.value ?? []) writer.writeResource(record);
      writer.flush();
      this.reportNodeErrors(results);
      return {definition, namespace, results};
    });
  }

  /** Watches every node at once; output is flushed once a node's current state is in, then per event. */
  private async watch(nodes: string[], open: (node: string) => AsyncGenerator<WatchItem>, writer: ResourceWriter): Promise<void> {
    const results = await fanOut(nodes, async (node) => {
      let bootstrapped = false;
      for await (const item of open(node)) {
        if (item.kind === 'bootstrapped') bootstrapped = true;
        else writer.writeResource(item.record, item.event);
        if (bootstrapped) writer.flush();
      }
    }, nodes.length);
    this.reportNodeErrors(results);
  }
}

/** Resource definitions from the first node that answers; a dead first node must not stop the rest. */
async function definitionsFromFirstAnswer(
  client: OsClient,
  nodes: string[],
  list: (client: OsClient, node: string) => Promise<ResourceDefinition[]>,
): Promise<ResourceDefinition[]> {
  let firstError: unknown;
  for (const node of nodes) {
    try {
      return await list(client, node);
    } catch (err) {
      firstError ??= err;
      if (!(err instanceof CliError)) throw err;
    }
  }
  throw firstError;
}
