import type * as fsp from 'node:fs/promises';
import type EtcdSnapshotCommand from '../../commands/etcd/snapshot.js';
import type {InvocationOf} from '../../base-command.js';
import {cancelSignal} from '../../cancel.js';
import {durationFlag} from '../../duration.js';
import {CliError, EXIT_USAGE} from '../../errors.js';
import type {RunContext} from '../../runtime.js';
import {StallWatchdog, TransferProgress} from './snapshot-transfer.js';

/**
 * The node's messages (Talos sends 1 KiB each, osd 128 KiB) are written together, by one
 * writev(2) of up to this many bytes: the received buffers themselves, never copied (gRPC gives
 * each message a buffer of its own; copying into 1 MiB buffers cost a third of osctl's CPU).
 */
const WRITE_BYTES = 1 << 20;

/**
 * talosctl's `etcd snapshot <path>`: one node's EtcdSnapshot stream into `<path>.part`, fsynced,
 * its sha256 trailer and bbolt structure checked, renamed to `<path>`; then talosctl's two lines.
 * Beyond talosctl: the trailer's digest and the database are checked before the rename (talosctl
 * checks only the size, and reads the database after renaming), a stall watchdog, progress on a
 * terminal, and `-` for stdout. Whatever fails, nothing is left at `<path>` or `<path>.part`.
 */
export default async function etcdSnapshot({flags, args}: InvocationOf<typeof EtcdSnapshotCommand>, ctx: RunContext): Promise<void> {
  const session = await ctx.session(flags);
  const node = ctx.singleNode(session);
  const stallMs = durationFlag('stall-timeout', flags['stall-timeout']);
  if (args.path === '') throw new CliError('the snapshot path is empty: give a file name, or - for stdout', EXIT_USAGE);
  const [fs, {MachineServiceService}, snapshots, {formatDuration}, {describeWriteError}] = await Promise.all([
    import('node:fs/promises'),
    import('../../../machinery/api/machine/machine.js'),
    import('../../../machinery/etcd-snapshot/index.js'),
    import('../../../machinery/go-duration.js'),
    import('../../output/stdio.js'),
  ]);
  const toStdout = args.path === '-';
  if (toStdout && process.stdout.isTTY) {
    throw new CliError('refusing to write the binary snapshot to a terminal', EXIT_USAGE, ['redirect stdout (`osctl etcd snapshot - > db.snapshot`, `| gzip > db.snapshot.gz`), or give a file name']);
  }
  const partPath = `${args.path}.part`;
  let part: fsp.FileHandle | undefined;
  let renamed = false;
  if (!toStdout) {
    await checkTarget(fs, args.path);
    try {
      // A new file of our own: a stale .part goes first, and a link planted there (or raced in) is
      // neither followed nor written through (O_EXCL|O_NOFOLLOW), so the mode is ours too.
      await fs.unlink(partPath).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      const {constants} = await import('node:fs');
      part = await fs.open(partPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (err) {
      throw new CliError(`error creating temporary file ${JSON.stringify(partPath)}: ${describeWriteError(err as NodeJS.ErrnoException)}`, 1, createHints(err as NodeJS.ErrnoException, partPath));
    }
  }
  const digest = new snapshots.TrailerDigest();
  try {
    const writeStdout = toStdout ? (await import('../read.js')).writeStdout : undefined;
    const writeOut = async (pieces: Uint8Array[], size: number) => {
      if (writeStdout) {
        for (const piece of pieces) await writeStdout(piece);
        return;
      }
      try {
        let done = (await part!.writev(pieces)).bytesWritten;
        // a short write (a full disk reports ENOSPC on the next one): the rest, joined
        if (done < size) {
          const rest = Buffer.concat(pieces).subarray(done);
          for (let at = 0; at < rest.length;) at += (await part!.write(rest, at, rest.length - at)).bytesWritten;
        }
      } catch (err) {
        throw new CliError(`error writing ${JSON.stringify(partPath)}: ${describeWriteError(err as NodeJS.ErrnoException)}`);
      }
    };
    await ctx.withClient(session, async (client) => {
      const stream = client.serverStream(MachineServiceService.etcdSnapshot, {}, node, 'first-answer');
      const watchdog = new StallWatchdog(stallMs, () => stream.cancel());
      const progress = new TransferProgress('receiving etcd snapshot:');
      let pending: Uint8Array[] = [];
      let filled = 0;
      const flush = async () => {
        if (filled === 0) return;
        const pieces = pending;
        const size = filled;
        pending = [];
        filled = 0;
        await writeOut(pieces, size);
      };
      try {
        for await (const data of stream) {
          watchdog.poke();
          if (data.metadata?.error) throw new CliError(`error reading: ${data.metadata.error}`);
          const bytes = data.bytes;
          if (bytes.length === 0) continue;
          progress.add(bytes.length);
          digest.update(bytes);
          pending.push(bytes);
          filled += bytes.length;
          if (filled >= WRITE_BYTES) {
            // a slow disk or reader is not a stalled stream
            watchdog.stop();
            await flush();
            watchdog.poke();
          }
        }
        await flush();
      } catch (err) {
        if (cancelSignal.aborted) throw err;
        if (watchdog.stalled) {
          throw new CliError(`error reading: node ${node} sent no snapshot data for ${formatDuration(stallMs)}`, 1, [
            'the etcd member may be stuck; try again, or another control plane node; raise --stall-timeout for a very slow link',
          ]);
        }
        // our own sentences (writing, the node's metadata error) as they are; the call's failure as talosctl words it
        if (err instanceof CliError && !isCallError(err)) throw err;
        throw new CliError(`error reading: ${(err as Error).message}`);
      } finally {
        watchdog.stop();
        progress.done();
      }
    });
    const trailer = digest.result();
    if (!trailer.present) throw new CliError(`sha256 checksum not found (size ${trailer.size})`);
    if (!trailer.valid) {
      throw new CliError(`sha256 checksum mismatch: the snapshot's last 32 bytes are ${trailer.expected}, its data hashes to ${trailer.actual}`);
    }
    if (toStdout) return;
    try {
      await part!.sync();
    } catch (err) {
      throw new CliError(`failed to fsync: ${describeWriteError(err as NodeJS.ErrnoException)}`);
    }
    await part!.close();
    part = undefined;
    // Read before the rename, so Ctrl-C while reading leaves nothing. A database the reader
    // refuses is still kept: its digest says it is exactly what etcd sent, and a backup must not
    // be lost to a reader's doubt; the error says so (exit 1), as talosctl fails after renaming.
    let status;
    let unreadable: Error | undefined;
    try {
      status = await snapshots.snapshotStatus(partPath, cancelSignal);
    } catch (err) {
      if (!(err instanceof snapshots.SnapshotFileError)) throw err;
      unreadable = err;
    }
    try {
      await fs.rename(partPath, args.path);
      renamed = true;
    } catch (err) {
      throw new CliError(`error renaming to final location ${JSON.stringify(args.path)}: ${describeWriteError(err as NodeJS.ErrnoException)}`);
    }
    await syncFolder(fs, args.path);
    ctx.out.write(`etcd snapshot saved to ${JSON.stringify(args.path)} (${trailer.size} bytes)\n`);
    if (unreadable) {
      throw new CliError(`the snapshot's sha256 digest matches, but its database cannot be read: ${unreadable.message}`, 1, [
        'this is what etcd sent; check it with `osctl etcd snapshot inspect` or `etcdctl snapshot status`',
      ]);
    }
    ctx.out.write(`snapshot info: ${snapshots.describeStatus(status!)}\n`);
  } finally {
    await part?.close().catch(() => {});
    if (!toStdout && !renamed) await fs.rm(partPath, {force: true}).catch(() => {});
  }
}

/**
 * Refuses, before anything is downloaded, a path the rename could not or must not replace: a
 * folder, or a device, FIFO or socket (renaming over /dev/full as root would replace the device
 * node). A symbolic link is replaced by the file, as talosctl's rename does.
 */
async function checkTarget(fs: typeof fsp, target: string): Promise<void> {
  const stat = await fs.lstat(target).catch(() => undefined);
  if (stat === undefined || stat.isFile() || stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    throw new CliError(`${JSON.stringify(target)} is a directory: give the snapshot's file name`, EXIT_USAGE, [
      `e.g. \`osctl etcd snapshot ${(await import('node:path')).join(target, 'db.snapshot')}\``,
    ]);
  }
  throw new CliError(`${JSON.stringify(target)} is not a regular file (a device, FIFO or socket): etcd snapshot writes a file and renames it into place`, EXIT_USAGE, [
    `to send the stream to a device or a pipe, write it to stdout: \`osctl etcd snapshot - > ${target}\``,
  ]);
}

function createHints(err: NodeJS.ErrnoException, partPath: string): string[] {
  if (err.code === 'ENOENT') return ['the folder does not exist: create it first, or give another path'];
  if (err.code === 'EEXIST' || err.code === 'EISDIR' || err.code === 'ELOOP') return [`something else holds ${JSON.stringify(partPath)}: remove it, or give another path`];
  return [];
}

/** Makes the rename durable; a filesystem that cannot fsync a folder still renamed atomically. */
async function syncFolder(fs: typeof fsp, file: string): Promise<void> {
  const {dirname} = await import('node:path');
  const handle = await fs.open(dirname(file), 'r').catch(() => undefined);
  await handle?.sync().catch(() => {});
  await handle?.close();
}

/** A failed call (client.ts's NodeCallError carries the gRPC code), told apart without loading grpc-js. */
function isCallError(err: Error): boolean {
  return typeof (err as {code?: unknown}).code === 'number';
}
