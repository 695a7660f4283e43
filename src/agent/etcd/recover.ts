// Restoring var/lib/etcd from the snapshot EtcdRecover stored (talos-behaviour.md (b) items
// 14–16): first the snapshot's status from our own bbolt reader (as Talos's Status: a file it
// refuses fails with `error verifying snapshot: …`, and the numbers go to the log), then Debian's `etcdctl snapshot restore` (etcd 3.4) with Talos's parameters, into a fresh
// folder that is then moved into the (empty) data dir, as 3.4 refuses an existing data dir. On
// success the upload is deleted; on failure it is kept and nothing is left in the data dir.
import {spawn} from 'node:child_process';
import {readdir, rename, rm} from 'node:fs/promises';
import {join} from 'node:path';
import {describeStatus, snapshotStatus} from '../../machinery/etcd-snapshot/index.js';

export interface RestoreOptions {
  snapshot: string;
  dataDir: string;
  /** The member name (the node's hostname) and its peer URL: the new cluster's only member. */
  name: string;
  peerUrl: string;
  skipHashCheck: boolean;
  /** The etcdctl binary; undefined when none was found. */
  etcdctl: string | undefined;
  /** A line for the logs. */
  log: (line: string) => void;
  signal: AbortSignal;
}

export async function restoreFromSnapshot(options: RestoreOptions): Promise<void> {
  const {snapshot, dataDir} = options;
  let described: string;
  try {
    described = describeStatus(await snapshotStatus(snapshot, options.signal));
  } catch (error) {
    options.signal.throwIfAborted();
    throw new Error(`error verifying snapshot: ${(error as Error).message}`);
  }
  options.log(`recovering etcd from snapshot: ${described}`);
  if (options.etcdctl === undefined) {
    throw new Error("error recovering from the snapshot: etcdctl not found: install Debian's etcd-client package or set OSD_ETCDCTL_BINARY");
  }
  const staging = `${dataDir}.restore`;
  await rm(staging, {recursive: true, force: true});
  try {
    await runEtcdctl(options.etcdctl, [
      'snapshot', 'restore', snapshot,
      '--name', options.name,
      '--data-dir', staging,
      '--initial-cluster', `${options.name}=${options.peerUrl}`,
      '--initial-advertise-peer-urls', options.peerUrl,
      ...(options.skipHashCheck ? ['--skip-hash-check'] : []),
    ], options.signal);
    for (const entry of await readdir(staging)) await rename(join(staging, entry), join(dataDir, entry));
  } catch (error) {
    // Nothing partial stays behind: a half-moved data dir would make the next Bootstrap AlreadyExists.
    await rm(staging, {recursive: true, force: true});
    for (const entry of await readdir(dataDir).catch(() => [] as string[])) await rm(join(dataDir, entry), {recursive: true, force: true});
    throw new Error(`error recovering from the snapshot: ${(error as Error).message}`);
  }
  await rm(staging, {recursive: true, force: true});
  try {
    await rm(snapshot);
  } catch (error) {
    throw new Error(`error deleting snapshot: ${(error as Error).message}`);
  }
}

/** Runs etcdctl (v3 API); rejects with its `Error: …` text, or the exit status. */
function runEtcdctl(binary: string, args: string[], signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {env: {PATH: process.env.PATH ?? '/usr/bin:/bin', ETCDCTL_API: '3'}, stdio: ['ignore', 'pipe', 'pipe']});
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-16_384);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const abort = (): void => {
      child.kill('SIGKILL');
    };
    signal.addEventListener('abort', abort, {once: true});
    child.once('error', (error) => {
      signal.removeEventListener('abort', abort);
      reject(new Error(`cannot run ${binary}: ${error.message}`));
    });
    child.once('close', (code, killedBy) => {
      signal.removeEventListener('abort', abort);
      if (code === 0) return resolve();
      if (signal.aborted) return reject(new Error('context canceled'));
      const errorLine = output.split('\n').reverse().find((line) => line.startsWith('Error: '));
      reject(new Error(errorLine !== undefined ? errorLine.slice('Error: '.length) : `etcdctl snapshot restore failed (${code !== null ? `exit code ${code}` : killedBy})`));
    });
  });
}
