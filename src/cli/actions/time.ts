import type TimeCommand from '../commands/time.js';
import type {InvocationOf} from '../base-command.js';
import {fanOut, type NodeResult} from '../fanout.js';
import type {TimeRecord} from '../output/time-view.js';
import type {RunContext} from '../runtime.js';

/** talosctl's `time [--check server]`: Time (or TimeCheck) per node, one table once every node answered. */
export default async function time({flags}: InvocationOf<typeof TimeCommand>, ctx: RunContext): Promise<NodeResult<TimeRecord[]>[]> {
  const format = flags.output === 'table' ? undefined : (await import('../output/format.js')).parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  const nodes = ctx.targetNodes(session);
  const [api, timeApi, view] = await Promise.all([import('../node-api.js'), import('../../machinery/api/time/time.js'), import('../output/time-view.js')]);
  const server = flags.check ?? '';
  const arrived: TimeRecord[] = [];
  const results = await ctx.withClient(session, (client) =>
    fanOut(nodes, async (node) => {
      const response =
        server === ''
          ? await client.unary(timeApi.TimeServiceService.time, {}, node)
          : await client.unary(timeApi.TimeServiceService.timeCheck, {server}, node);
      const records = response.messages.map((message): TimeRecord => {
        const from = api.messageNode(message.metadata, node);
        // talosctl's own checks of the answer.
        if (message.localtime === undefined || Number.isNaN(message.localtime.getTime())) throw new Error('error parsing local time');
        if (message.remotetime === undefined || Number.isNaN(message.remotetime.getTime())) throw new Error('error parsing remote time');
        return {node: from, server: message.server, localtime: message.localtime, remotetime: message.remotetime};
      });
      arrived.push(...records);
      return records;
    }),
  );
  if (format) {
    const {writeStructured} = await import('../output/structured.js');
    writeStructured(format, ctx.out, arrived);
  } else if (results.some((r) => !r.error)) {
    // talosctl prints nothing but the error when the call failed.
    ctx.out.write(view.renderTime(arrived));
  }
  ctx.reportNodeErrors(results);
  return results;
}
