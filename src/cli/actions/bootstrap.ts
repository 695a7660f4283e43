import type BootstrapCommand from '../commands/bootstrap.js';
import type {InvocationOf} from '../base-command.js';
import {cancelSignal} from '../cancel.js';
import {CliError, EXIT_USAGE, Status} from '../errors.js';
import type {OsClient} from '../client.js';
import type {RunContext} from '../runtime.js';

/** The file goes up in pieces of this size (talosctl sends 4 KiB; the node takes any size). */
const UPLOAD_BYTES = 1 << 20;

/**
 * talosctl's `bootstrap [--recover-from <file> [--recover-skip-hash-check]]` on exactly one node.
 * Beyond talosctl: the snapshot is checked here before anything is sent (bbolt structure always,
 * the sha256 trailer unless the hash check is skipped, as the node's restore would check it), the
 * upload shows progress on a terminal and fails when it stalls, control planes whose etcd is not
 * waiting in Preparing are named, and AlreadyExists is explained.
 */
export default async function bootstrap({flags}: InvocationOf<typeof BootstrapCommand>, ctx: RunContext): Promise<void> {
  const session = await ctx.session(flags);
  const node = ctx.singleNode(session);
  const file = flags['recover-from'];
  const skipHashCheck = flags['recover-skip-hash-check'] ?? false;
  if (file === '') throw new CliError('--recover-from is empty: give the snapshot file', EXIT_USAGE);
  if (skipHashCheck && file === undefined) {
    throw new CliError('--recover-skip-hash-check applies to a recovery: give the snapshot with --recover-from=<file>', EXIT_USAGE);
  }
  const {MachineServiceService} = await import('../../machinery/api/machine/machine.js');
  if (file !== undefined) {
    const snapshots = await import('../../machinery/etcd-snapshot/index.js');
    const {checkSnapshotFile, trailerMismatch} = await import('./etcd/snapshot/inspect.js');
    const {status, trailer} = await checkSnapshotFile(snapshots, file, !skipHashCheck);
    if (!skipHashCheck && !trailer.present) {
      throw new CliError(`${JSON.stringify(file)} has no sha256 trailer (its size ${trailer.size} is not 512·n + 32), so the node would refuse it: snapshot missing hash but --skip-hash-check=false`, 1, [
        'a database copied out of a data directory (member/snap/db) has none: recover from it with --recover-skip-hash-check',
      ]);
    }
    if (!skipHashCheck && !trailer.valid) throw trailerMismatch(file, trailer);
    ctx.out.write(`recovering from snapshot ${JSON.stringify(file)}: ${snapshots.describeStatus(status)}\n`);
  }
  await ctx.withClient(session, async (client) => {
    await warnAboutControlPlanes(client, node, ctx);
    if (file !== undefined) {
      try {
        await upload(client, node, file, MachineServiceService.etcdRecover, session.timeoutMs);
      } catch (err) {
        if (cancelSignal.aborted) throw err;
        throw new CliError(`error uploading snapshot: ${(err as Error).message}`);
      }
    }
    try {
      await client.unary(MachineServiceService.bootstrap, {recoverEtcd: file !== undefined, recoverSkipHashCheck: skipHashCheck}, node);
    } catch (err) {
      if (cancelSignal.aborted) throw err;
      const code = (err as {code?: number}).code;
      throw new CliError(`error executing bootstrap: ${(err as Error).message}`, 1, code === Status.ALREADY_EXISTS ? alreadyExistsHints(node, file !== undefined) : []);
    }
  });
}

function alreadyExistsHints(node: string, recovering: boolean): string[] {
  const wipe = `osctl -n ${node} reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL`;
  if (!recovering) {
    return [`etcd on ${node} has data already: the cluster is bootstrapped (or this node joined it); there is nothing to do`];
  }
  return [
    `etcd on ${node} has data already, so the snapshot was uploaded but not restored; wipe it first with \`${wipe}\`, wait until its etcd is Preparing, then run this again`,
    'or recover on another control plane node whose etcd is Preparing',
  ];
}

/** Streams the file through EtcdRecover; a write that cannot go on for the timeout is a stall. */
async function upload(
  client: OsClient,
  node: string,
  file: string,
  method: typeof import('../../machinery/api/machine/machine.js').MachineServiceService.etcdRecover,
  stallMs: number,
): Promise<void> {
  const fs = await import('node:fs/promises');
  const [{StallWatchdog, TransferProgress}, {formatDuration}] = await Promise.all([
    import('./etcd/snapshot-transfer.js'),
    import('../../machinery/go-duration.js'),
  ]);
  const handle = await fs.open(file, 'r');
  const call = client.clientStream(method, node);
  const watchdog = new StallWatchdog(stallMs, () => call.cancel());
  const progress = new TransferProgress('uploading snapshot:');
  try {
    for (;;) {
      // a new buffer for each piece: the transport may still hold the previous one
      const buf = Buffer.allocUnsafe(UPLOAD_BYTES);
      const {bytesRead} = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      await call.write({bytes: buf.subarray(0, bytesRead)});
      watchdog.poke();
      progress.add(bytesRead);
    }
    watchdog.stop();
    await call.finish();
  } catch (err) {
    call.cancel();
    if (watchdog.stalled && !cancelSignal.aborted) throw new Error(`node ${node} took no data for ${formatDuration(stallMs)}`);
    throw err;
  } finally {
    watchdog.stop();
    progress.done();
    await handle.close();
  }
}

/**
 * Recovery (and a first bootstrap) expects every control plane's etcd to wait in Preparing; one
 * that runs already would stay in its old cluster. Names those on stderr, as seen by the cluster
 * members the node knows; says nothing when it cannot tell (no discovery, an older node).
 */
async function warnAboutControlPlanes(client: OsClient, node: string, ctx: RunContext): Promise<void> {
  try {
    const [{listResources}, {listServices}] = await Promise.all([import('../resource-client.js'), import('../node-api.js')]);
    const members = await listResources(client, node, 'cluster', 'Members.cluster.talos.dev');
    const specs = members.map((m) => m.spec as {addresses?: string[]; hostname?: string; machineType?: string} | undefined);
    const isControlPlane = (spec: typeof specs[number]) => spec?.machineType === 'controlplane' || spec?.machineType === 'init';
    const target = specs.find((spec) => spec?.addresses?.includes(node));
    // A worker (or a node the members do not show as a control plane) gets the node's own refusal; the others' states would only be noise.
    if (target !== undefined && !isControlPlane(target)) return;
    if (target !== undefined) {
      const etcd = await listServices(client, node).then((services) => services.find((s) => s.id === 'etcd'), () => undefined);
      if (etcd?.state === 'Running' && !cancelSignal.aborted) {
        // Bootstrap will refuse it: the others' states do not matter then.
        ctx.err.write(`warning: etcd on ${node} is Running: its data directory is not empty, so expect "etcd data directory is not empty"; wipe it first with \`osctl -n ${node} reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL\`\n`);
        return;
      }
    }
    const controlPlanes = specs
      .filter((spec) => isControlPlane(spec) && spec!.addresses?.length)
      .filter((spec) => !spec!.addresses!.includes(node));
    const states = await Promise.all(controlPlanes.map(async (spec) => {
      const address = spec!.addresses![0];
      try {
        const etcd = (await listServices(client, address)).find((s) => s.id === 'etcd');
        return {address, hostname: spec!.hostname, machineType: spec!.machineType, state: etcd?.state};
      } catch {
        return undefined;
      }
    }));
    for (const seen of states) {
      if (!seen || cancelSignal.aborted) continue;
      const name = seen.hostname ? `${seen.address} (${seen.hostname})` : seen.address;
      if (seen.machineType === 'init') {
        ctx.err.write(`warning: ${name} is an init node: it bootstraps etcd by itself and ignores a recovery; recover with controlplane nodes only\n`);
      } else if (seen.state !== undefined && seen.state !== 'Preparing') {
        ctx.err.write(`warning: etcd on ${name} is ${seen.state}, not Preparing: it will not join the new cluster; wipe it with \`osctl -n ${seen.address} reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL\`\n`);
      }
    }
  } catch {
    // cannot tell: nothing to say
  }
}
