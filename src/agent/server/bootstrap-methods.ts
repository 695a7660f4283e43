// Bootstrap and EtcdRecover (talos-api.md §7.1, talos-behaviour.md (b) items 13–16).
import {randomUUID} from 'node:crypto';
import {constants as fsConstants} from 'node:fs';
import {open, readdir, rename, rm} from 'node:fs/promises';
import {join} from 'node:path';
import {status} from '@grpc/grpc-js';
import {MachineServiceService} from '../../machinery/api/machine/machine.js';
import {requireControlPlane} from '../etcd/access.js';
import {realDirectoryInside} from '../node-dirs.js';
import {clientStreamMethod, unaryMethod, type LocalMethod} from './methods.js';
import {RpcError} from './rpc-error.js';

/** What the two methods need from the node (the etcd service implements it). */
export interface BootstrapAccess {
  machineType(): string | undefined;
  /** Talos's IsBootstrapAllowed: the `cri` service Running and healthy (waited for up to `ms`). */
  criReady(ms: number): Promise<boolean>;
  /** The config has an etcd CA. */
  hasEtcdCA(): boolean;
  /** True when var/lib/etcd has no entries (or does not exist). */
  dataDirEmpty(): Promise<boolean>;
  /** The node's state folder, and where the upload goes (var/lib/etcd.snapshot). */
  readonly paths: {root: string; snapshot: string};
  /** Stops etcd, checks the data dir again, starts it with Bootstrap set; resolves once the start is issued. */
  bootstrap(request: {recover: boolean; skipHashCheck: boolean}): Promise<void>;
}

/** Talos watches the cri Service resource for at most 1 s. */
const CRI_WAIT_MS = 1000;
/** How long an upload may go without a message before it is given up. */
export const UPLOAD_IDLE_MS = 60_000;
/** Uploads in progress, next to var/lib/etcd.snapshot: `<prefix><osd pid>-<uuid>`. */
const PARTIAL_PREFIX = '.etcd.snapshot.part-';

/** Partial uploads an earlier osd process left (it was killed mid-upload); this process's own are in progress. */
async function removeStalePartials(varLib: string): Promise<void> {
  const own = `${PARTIAL_PREFIX}${process.pid}-`;
  for (const entry of await readdir(varLib)) {
    if (entry.startsWith(PARTIAL_PREFIX) && !entry.startsWith(own)) await rm(join(varLib, entry), {force: true});
  }
}

export interface BootstrapMethodsOptions {
  /** How long an upload may go without a message (UPLOAD_IDLE_MS). */
  uploadIdleMs?: number;
  /** A Reboot, Reset or Shutdown is under way (Talos's IsBootstrapAllowed: no reboot pending). */
  actionPending?: () => boolean;
}

export function bootstrapMethods(node: BootstrapAccess, options: BootstrapMethodsOptions = {}): Array<[string, LocalMethod]> {
  const idleMs = options.uploadIdleMs ?? UPLOAD_IDLE_MS;
  return [
    unaryMethod(MachineServiceService.bootstrap, async (request) => {
      if (options.actionPending?.() === true || !(await node.criReady(CRI_WAIT_MS))) throw new RpcError(status.FAILED_PRECONDITION, 'bootstrap is not available yet');
      requireControlPlane(node.machineType(), 'bootstrap');
      if (!node.hasEtcdCA()) throw new RpcError(status.INVALID_ARGUMENT, 'etcd is not configured, bootstrap is not possible');
      if (!(await node.dataDirEmpty())) throw new RpcError(status.ALREADY_EXISTS, 'etcd data directory is not empty');
      await node.bootstrap({recover: request.recoverEtcd, skipHashCheck: request.recoverSkipHashCheck});
      return {messages: [{}]};
    }),
    clientStreamMethod(MachineServiceService.etcdRecover, async (requests, context) => {
      let varLib: string | undefined;
      try {
        varLib = await realDirectoryInside(node.paths.root, 'var/lib');
      } catch (error) {
        // A link there could lead the upload outside the node.
        throw new RpcError(status.FAILED_PRECONDITION, `etcd service is not ready for recovery: ${(error as Error).message}`);
      }
      if (varLib === undefined) throw new RpcError(status.FAILED_PRECONDITION, 'etcd service is not ready for recovery yet');
      requireControlPlane(node.machineType(), 'etcd recover');
      await removeStalePartials(varLib);
      // Each upload writes a file of its own, moved into place only once complete: a Bootstrap
      // (or a second upload) never sees a partial snapshot, and two uploads never mix.
      const partial = join(varLib, `${PARTIAL_PREFIX}${process.pid}-${randomUUID()}`);
      const file = await open(partial, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o700);
      let complete = false;
      let idle: NodeJS.Timeout | undefined;
      try {
        let rejectEarly!: (error: Error) => void;
        const endedEarly = new Promise<never>((_, reject) => (rejectEarly = reject));
        endedEarly.catch(() => undefined);
        const cancelled = (): void => rejectEarly(new Error('upload cancelled'));
        if (context.signal.aborted) cancelled();
        else context.signal.addEventListener('abort', cancelled, {once: true});
        // A client that stops sending without ending the call (and set no deadline) must not hold the upload open forever.
        const armIdle = (): void => {
          clearTimeout(idle);
          idle = setTimeout(
            () => rejectEarly(new RpcError(status.DEADLINE_EXCEEDED, `upload stalled: no data for ${idleMs / 1000} s`)),
            idleMs,
          );
        };
        const iterator = requests[Symbol.asyncIterator]();
        try {
          for (;;) {
            armIdle();
            const next = await Promise.race([iterator.next(), endedEarly]);
            clearTimeout(idle);
            if (next.done === true) break;
            const {bytes} = next.value;
            // A grpc-js readable waits while this write runs: the upload follows the disk's pace.
            if (bytes.length > 0) await file.write(bytes);
          }
        } finally {
          context.signal.removeEventListener('abort', cancelled);
        }
        // A cancelled call may also just end its request stream.
        if (context.signal.aborted) throw new Error('upload cancelled');
        await file.sync();
        await file.close();
        // rename replaces whatever is at the name (a link included) without following it.
        await rename(partial, node.paths.snapshot);
        complete = true;
      } finally {
        clearTimeout(idle);
        await file.close().catch(() => undefined);
        if (!complete) await rm(partial, {force: true});
      }
      return {messages: [{}]};
    }),
  ];
}
