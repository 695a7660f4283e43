import type InspectCommand from '../../../commands/etcd/snapshot/inspect.js';
import type {InvocationOf} from '../../../base-command.js';
import {cancelSignal} from '../../../cancel.js';
import {CliError} from '../../../errors.js';
import type {RunContext} from '../../../runtime.js';

/** What `-o json|yaml` prints: etcdctl's `snapshot status -w json` fields, and the trailer. */
export interface SnapshotInspection {
  hash: number;
  revision: bigint;
  totalKey: number;
  totalSize: number;
  trailer: {present: boolean; valid: boolean};
}

/**
 * Our addition: an offline check of a snapshot file with osctl's own reader, and talosctl's
 * `snapshot info` line. A damaged database is an error with the reader's sentence; a trailer that
 * does not match is an error after the information is printed (the data may still be wanted).
 */
export default async function inspect({flags, args}: InvocationOf<typeof InspectCommand>, ctx: RunContext): Promise<SnapshotInspection> {
  const format = flags.output === 'table' ? undefined : (await import('../../../output/format.js')).parseOutputFormat(flags.output);
  const snapshots = await import('../../../../machinery/etcd-snapshot/index.js');
  const result = await checkSnapshotFile(snapshots, args.file, true);
  const inspection: SnapshotInspection = {
    hash: result.status.hash,
    revision: result.status.revision,
    totalKey: result.status.totalKey,
    totalSize: result.status.totalSize,
    trailer: {present: result.trailer.present, valid: result.trailer.valid},
  };
  if (format) {
    const {writeStructured} = await import('../../../output/structured.js');
    writeStructured(format, ctx.out, [inspection]);
  } else {
    ctx.out.write(`snapshot info: ${snapshots.describeStatus(result.status)}\n`);
    ctx.out.write(`sha256 trailer: ${!result.trailer.present ? 'absent' : result.trailer.valid ? 'valid' : 'MISMATCH'}\n`);
  }
  if (result.trailer.present && !result.trailer.valid) throw trailerMismatch(args.file, result.trailer);
  return inspection;
}

type Snapshots = typeof import('../../../../machinery/etcd-snapshot/index.js');

/** The trailer's mismatch as a CLI error (also bootstrap's). */
export function trailerMismatch(file: string, trailer: {expected?: string; actual?: string}): CliError {
  return new CliError(
    `${JSON.stringify(file)}: sha256 checksum mismatch: the last 32 bytes are ${trailer.expected}, the data before them hashes to ${trailer.actual}`,
    1,
    ['the file was changed or damaged after etcd wrote it; take another snapshot, or use a copy you trust'],
  );
}

/** Reads a snapshot file (structure, status, trailer); the reader's errors become CLI errors naming the file. */
export async function checkSnapshotFile(snapshots: Snapshots, file: string, withTrailer: boolean) {
  // Opening a FIFO blocks until a writer comes, in a thread even process.exit waits for: no
  // signal but SIGKILL would end osctl. stat does not block; the reader checks the rest.
  const stat = await (await import('node:fs/promises')).stat(file).catch(() => undefined);
  if (stat !== undefined && !stat.isFile()) throw new CliError(`${JSON.stringify(file)} is not a regular file`);
  try {
    const status = await snapshots.snapshotStatus(file, cancelSignal);
    const trailer = withTrailer ? await snapshots.snapshotTrailer(file, cancelSignal) : {present: false, valid: false, size: 0};
    return {status, trailer};
  } catch (err) {
    if (cancelSignal.aborted) throw err;
    if (err instanceof snapshots.SnapshotFileError) {
      const text = err.message.startsWith('snapshot file integrity') || err.message.startsWith('error during') ? `${JSON.stringify(file)}: ${err.message}` : err.message;
      throw new CliError(text);
    }
    throw new CliError(`reading ${JSON.stringify(file)}: ${(err as Error).message}`);
  }
}
