// Bootstrap and EtcdRecover (talos-api.md §7.1, talos-behaviour.md (b) items 13–16).
import {open, rm, stat} from 'node:fs/promises';
import {status} from '@grpc/grpc-js';
import {MachineServiceService} from '../../machinery/api/machine/machine.js';
import {requireControlPlane} from '../etcd/access.js';
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
  /** var/lib, and where the upload goes (var/lib/etcd.snapshot). */
  readonly paths: {varLib: string; snapshot: string};
  /** Stops etcd, checks the data dir again, starts it with Bootstrap set; resolves once the start is issued. */
  bootstrap(request: {recover: boolean; skipHashCheck: boolean}): Promise<void>;
}

/** Talos watches the cri Service resource for at most 1 s. */
const CRI_WAIT_MS = 1000;

export function bootstrapMethods(node: BootstrapAccess): Array<[string, LocalMethod]> {
  return [
    unaryMethod(MachineServiceService.bootstrap, async (request) => {
      if (!(await node.criReady(CRI_WAIT_MS))) throw new RpcError(status.FAILED_PRECONDITION, 'bootstrap is not available yet');
      requireControlPlane(node.machineType(), 'bootstrap');
      if (!node.hasEtcdCA()) throw new RpcError(status.INVALID_ARGUMENT, 'etcd is not configured, bootstrap is not possible');
      if (!(await node.dataDirEmpty())) throw new RpcError(status.ALREADY_EXISTS, 'etcd data directory is not empty');
      await node.bootstrap({recover: request.recoverEtcd, skipHashCheck: request.recoverSkipHashCheck});
      return {messages: [{}]};
    }),
    clientStreamMethod(MachineServiceService.etcdRecover, async (requests, context) => {
      try {
        await stat(node.paths.varLib);
      } catch {
        throw new RpcError(status.FAILED_PRECONDITION, 'etcd service is not ready for recovery yet');
      }
      requireControlPlane(node.machineType(), 'etcd recover');
      const file = await open(node.paths.snapshot, 'w', 0o700);
      let complete = false;
      try {
        const cancelled = new Promise<never>((_, reject) => {
          const fail = (): void => reject(new Error('upload cancelled'));
          if (context.signal.aborted) fail();
          else context.signal.addEventListener('abort', fail, {once: true});
        });
        cancelled.catch(() => undefined);
        const iterator = requests[Symbol.asyncIterator]();
        for (;;) {
          const next = await Promise.race([iterator.next(), cancelled]);
          if (next.done === true) break;
          const {bytes} = next.value;
          // A grpc-js readable waits while this write runs: the upload follows the disk's pace.
          if (bytes.length > 0) await file.write(bytes);
        }
        // A cancelled call may also just end its request stream.
        if (context.signal.aborted) throw new Error('upload cancelled');
        await file.sync();
        complete = true;
      } finally {
        await file.close();
        if (!complete) await rm(node.paths.snapshot, {force: true});
      }
      return {messages: [{}]};
    }),
  ];
}
