import type ServiceCommand from '../commands/service.js';
import type {InvocationOf} from '../base-command.js';
import {CliError} from '../errors.js';
import {fanOut, type NodeResult} from '../fanout.js';
import type {ServiceAction} from '../node-api.js';
import type {ServiceActionRecord, ServiceRecord} from '../output/service-view.js';
import {writeFormatted} from '../output/write-formatted.js';
import type {RunContext} from '../runtime.js';

const ACTIONS = new Set(['status', 'start', 'stop', 'restart']);

export type ServiceResult =
  | {view: 'list' | 'detail'; results: NodeResult<ServiceRecord[]>[]}
  | {view: 'action'; results: NodeResult<ServiceActionRecord[]>[]};

/**
 * talosctl's `service`: list, detail or action view. Everything is printed once every node has
 * answered (talosctl flushes its table once), then the failed nodes.
 */
export default async function service({flags, args}: InvocationOf<typeof ServiceCommand>, ctx: RunContext): Promise<ServiceResult> {
  const action = args.action ?? 'status';
  if (!ACTIONS.has(action)) throw new CliError(`unsupported service action: ${JSON.stringify(action)}`);
  if (flags.output !== 'table') (await import('../output/format.js')).parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, view] = await Promise.all([import('../node-api.js'), import('../output/service-view.js')]);
  return ctx.withClient(session, async (client): Promise<ServiceResult> => {
    if (action !== 'status') {
      const id = args.id!;
      const results = await fanOut(nodes, (node) => api.serviceAction(client, node, action as ServiceAction, id));
      const rows = results.flatMap((r) => r.value ?? []);
      await writeFormatted(flags.output, ctx.out, rows, () => ctx.out.write(view.formatServiceActions(rows)));
      ctx.reportNodeErrors(results);
      return {view: 'action', results};
    }
    const listed = await fanOut(nodes, (node) => api.listServices(client, node));
    const now = new Date();
    if (args.id === undefined) {
      const services = listed.flatMap((r) => r.value ?? []);
      await writeFormatted(flags.output, ctx.out, services, () => ctx.out.write(view.formatServiceList(services, now)));
      ctx.reportNodeErrors(listed);
      return {view: 'list', results: listed};
    }
    const id = args.id;
    const results = listed.map((r): NodeResult<ServiceRecord[]> => (r.error ? r : {node: r.node, value: r.value.filter((s) => s.id === id)}));
    const services = results.flatMap((r) => r.value ?? []);
    // As talosctl: "not registered" only when every node answered; otherwise the node errors say more.
    if (services.length === 0 && results.every((r) => !r.error)) {
      throw new CliError(`service ${JSON.stringify(id)} is not registered on any nodes`, undefined, ['`osctl service` lists the services of each node']);
    }
    await writeFormatted(flags.output, ctx.out, services, () => ctx.out.write(view.formatServiceDetail(services, now)));
    ctx.reportNodeErrors(results);
    return {view: 'detail', results};
  });
}
