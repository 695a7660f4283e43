// machine.MachineService MetaWrite and MetaDelete as Talos answers them: the key must be a uint8
// (InvalidArgument), a value that does not fit the 256 KiB META is ResourceExhausted, deleting an
// unset key is NotFound. The store (inside/meta-store.ts) keeps the file and the MetaKeys resources.
import {status} from '@grpc/grpc-js';
import {MachineServiceService} from '../../machinery/api/machine/machine.js';
import {MetaStore} from '../inside/meta-store.js';
import type {NodeInside} from '../inside/node-inside.js';
import {unaryMethod, type LocalMethod} from './methods.js';
import {RpcError} from './rpc-error.js';

export function metaMethods(inside: NodeInside): Array<[string, LocalMethod]> {
  const meta = new MetaStore(inside.root, inside.store);
  meta.ready().catch((error: Error) => inside.log.error(error.message));
  return [
    unaryMethod(MachineServiceService.metaWrite, async (request) => {
      checkKey(request.key);
      if ((await meta.write(request.key, Buffer.from(request.value))) === 'overflow') {
        throw new RpcError(status.RESOURCE_EXHAUSTED, 'meta write failed');
      }
      return {messages: [{}]};
    }),
    unaryMethod(MachineServiceService.metaDelete, async (request) => {
      checkKey(request.key);
      if (!(await meta.delete(request.key))) throw new RpcError(status.NOT_FOUND, 'meta key not found');
      return {messages: [{}]};
    }),
  ];
}

function checkKey(key: number): void {
  if (key > 0xff) throw new RpcError(status.INVALID_ARGUMENT, 'key must be a uint8');
}
