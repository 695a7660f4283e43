import type NetstatCommand from '../commands/netstat.js';
import type {InvocationOf} from '../base-command.js';
import {CliError} from '../errors.js';
import {fanOut, type NodeResult} from '../fanout.js';
import type {SocketRecord} from '../output/netstat-view.js';
import type {RunContext} from '../runtime.js';

type Flags = InvocationOf<typeof NetstatCommand>['flags'];

/**
 * talosctl's `netstat`: one Netstat call per node (the request built from the flags as talosctl
 * builds it), the rows of every node in one table once all have answered, in the order they answered.
 */
export default async function netstat({flags, args}: InvocationOf<typeof NetstatCommand>, ctx: RunContext): Promise<NodeResult<SocketRecord[]>[]> {
  const format = flags.output === 'table' ? undefined : (await import('../output/format.js')).parseOutputFormat(flags.output);
  const session = await ctx.session(flags);
  let nodes = ctx.targetNodes(session);
  if (flags.pods && args.pod !== undefined) throw new CliError('cannot use --pods and specify a pod');
  const [api, machine, view] = await Promise.all([import('../node-api.js'), import('../../machinery/api/machine/machine.js'), import('../output/netstat-view.js')]);
  const request = netstatRequest(flags, machine.NetstatRequest_Filter);
  const arrived: SocketRecord[] = [];
  const results = await ctx.withClient(session, async (client) => {
    if (args.pod !== undefined) {
      // talosctl looks the pod's network namespace up among every node's ready sandboxes.
      const wanted = args.pod.toLowerCase();
      const listed = await fanOut(nodes, (node) => api.listContainers(client, node, true));
      const found = listed
        .flatMap((r) => (r.value ?? []).flat())
        .find((c) => c.id === c.podId && c.pid !== 0 && c.networkNamespace !== '' && c.id === wanted);
      if (found === undefined) {
        // A node that could not be asked may hold the pod: say so, as talosctl stops on that error.
        ctx.reportNodeErrors(listed, 'error getting containers from node');
        throw new CliError(`pod ${args.pod} not found`);
      }
      nodes = [found.node];
      request.netns = {hostnetwork: false, netns: [found.networkNamespace], allnetns: false};
    }
    return fanOut(nodes, async (node) => {
      const response = await client.unary(machine.MachineServiceService.netstat, request, node);
      const records = response.messages.flatMap((message) => {
        const from = api.messageNode(message.metadata, node);
        return message.connectrecord.map((record): SocketRecord => ({
          node: from,
          l4proto: record.l4proto,
          localip: record.localip,
          localport: record.localport,
          remoteip: record.remoteip,
          remoteport: record.remoteport,
          state: machine.ConnectRecord_State[record.state] ?? String(record.state),
          txqueue: Number(record.txqueue),
          rxqueue: Number(record.rxqueue),
          timer: machine.ConnectRecord_TimerActive[record.tr] ?? String(record.tr),
          timerwhen: Number(record.timerwhen),
          retrnsmt: Number(record.retrnsmt),
          uid: record.uid,
          timeout: Number(record.timeout),
          inode: Number(record.inode),
          process: {pid: record.process?.pid ?? 0, name: record.process?.name ?? ''},
          netns: record.netns,
        }));
      });
      arrived.push(...records);
      return records;
    });
  });
  if (format) {
    const {writeStructured} = await import('../output/structured.js');
    writeStructured(format, ctx.out, arrived);
  } else {
    ctx.out.write(view.renderNetstat(arrived, {extend: flags.extend, programs: flags.programs, pods: flags.pods, timers: flags.timers}));
  }
  ctx.reportNodeErrors(results);
  return results;
}

/** talosctl's netstatFlagsToRequest. */
function netstatRequest(flags: Flags, Filter: typeof import('../../machinery/api/machine/machine.js').NetstatRequest_Filter) {
  const all = flags.verbose;
  const l4proto = {
    tcp: flags.tcp || all,
    tcp6: flags.tcp || all,
    udp: flags.udp || all,
    udp6: flags.udp || all,
    udplite: flags.udplite || all,
    udplite6: flags.udplite || all,
    raw: flags.raw || all,
    raw6: flags.raw || all,
  };
  if (!Object.values(l4proto).some(Boolean)) Object.assign(l4proto, {tcp: true, tcp6: true, udp: true, udp6: true});
  if (flags.ipv4 && !flags.ipv6) Object.assign(l4proto, {tcp6: false, udp6: false, udplite6: false, raw6: false});
  if (flags.ipv6 && !flags.ipv4) Object.assign(l4proto, {tcp: false, udp: false, udplite: false, raw: false});
  return {
    filter: flags.all ? Filter.ALL : flags.listening ? Filter.LISTENING : Filter.CONNECTED,
    feature: {pid: flags.programs},
    l4proto,
    netns: {hostnetwork: true, netns: [] as string[], allnetns: flags.pods},
  };
}
