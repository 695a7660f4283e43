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
  const [api, timeApi, precise, view] = await Promise.all([
    import('../node-api.js'),
    import('../../machinery/api/time/time.js'),
    import('../../machinery/time-response.js'),
    import('../output/time-view.js'),
  ]);
  // Timestamps decoded with their nanoseconds (the generated codec keeps milliseconds).
  const decode = (bytes: Buffer) => precise.decodeTimeResponse(bytes);
  const codec = {responseSerialize: precise.encodeTimeResponse, responseDeserialize: decode};
  const timeMethod = {...timeApi.TimeServiceService.time, ...codec};
  const checkMethod = {...timeApi.TimeServiceService.timeCheck, ...codec};
  const server = flags.check ?? '';
  const arrived: TimeRecord[] = [];
  const results = await ctx.withClient(session, (client) =>
    fanOut(nodes, async (node) => {
      const response =
        server === ''
          ? await client.unary(timeMethod, {}, node)
          : await client.unary(checkMethod, {server}, node);
      const records = response.messages.map((message): TimeRecord => {
        const from = api.messageNode(message.metadata, node);
        // talosctl's own checks of the answer.
        if (!validTimestamp(message.localtime)) throw new Error('error parsing local time');
        if (!validTimestamp(message.remotetime)) throw new Error('error parsing remote time');
        return {node: from, server: message.server, localtime: message.localtime, remotetime: message.remotetime};
      });
      arrived.push(...records);
      return records;
    }),
  );
  if (format) {
    const {writeStructured} = await import('../output/structured.js');
    writeStructured(format, ctx.out, arrived.map((r) => ({...r, localtime: view.rfc3339Nano(r.localtime), remotetime: view.rfc3339Nano(r.remotetime)})));
  } else if (results.some((r) => !r.error)) {
    // talosctl prints nothing but the error when the call failed.
    ctx.out.write(view.renderTime(arrived));
  }
  ctx.reportNodeErrors(results);
  return results;
}

/** timestamppb's IsValid: 0001-01-01 to 9999-12-31 UTC, nanos in [0, 10^9). */
function validTimestamp(time: {seconds: bigint; nanos: number} | undefined): time is {seconds: bigint; nanos: number} {
  return time !== undefined && time.seconds >= -62135596800n && time.seconds <= 253402300799n && time.nanos >= 0 && time.nanos < 1e9;
}
