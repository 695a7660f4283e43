// A ResetRequest checked as Talos checks it (talos-behaviour.md (b) item 19), turned into what
// osd wipes. Talos's errors are plain (code Unknown) and keep its texts.
//
// What osd can honestly do, by volume (see wipe.ts for the mapping):
// - EPHEMERAL: emptied (etcd data included); the node comes back with etcd waiting to join.
// - META: removed.
// - STATE: refused. It holds the machine config and the node's certificates; a Talos node that
//   lost it boots into maintenance mode to be given a new config, which osd does not have, so
//   osd could never come back. Stop the node and delete its state folder instead.
// - The default (no labels, wipe mode ALL or SYSTEM_DISK: Talos wipes the whole system disk) wipes
//   EPHEMERAL and META and keeps STATE, for the same reason.
// - User disks: osd's nodes have none, so any device named is not found, as Talos reports it.
import {status} from '@grpc/grpc-js';
import {ResetRequest_WipeMode, type ResetRequest} from '../../machinery/api/machine/machine.js';
import {RpcError} from '../server/rpc-error.js';

export interface ResetPlan {
  wipeEphemeral: boolean;
  wipeMeta: boolean;
}

const VOLUME_STATUS_TYPE = 'VolumeStatuses.block.talos.dev';

/** Talos's plain errors: the client sees code Unknown. */
function plain(text: string): RpcError {
  return new RpcError(status.UNKNOWN, text);
}

export function resetPlan(request: ResetRequest): ResetPlan {
  const mode = request.mode;
  if (mode !== ResetRequest_WipeMode.ALL && mode !== ResetRequest_WipeMode.SYSTEM_DISK && mode !== ResetRequest_WipeMode.USER_DISKS) {
    throw new RpcError(status.INVALID_ARGUMENT, `reset failed: invalid input, unknown wipe mode ${mode}`);
  }
  if (mode === ResetRequest_WipeMode.SYSTEM_DISK && request.userDisksToWipe.length > 0) {
    throw plain("reset failed: invalid input, wipe mode SYSTEM_DISK doesn't support UserDisksToWipe parameter");
  }
  for (const device of request.userDisksToWipe) throw plain(`reset user disk failed: device ${device} wasn't found`);
  const labels = request.systemPartitionsToWipe.filter((spec) => spec.wipe).map((spec) => spec.label);
  if (mode === ResetRequest_WipeMode.USER_DISKS && request.systemPartitionsToWipe.length > 0) {
    throw plain("reset failed: invalid input, wipe mode USER_DISKS doesn't support SystemPartitionsToWipe parameter");
  }
  if (labels.length === 0) {
    const systemDisk = mode !== ResetRequest_WipeMode.USER_DISKS && request.systemPartitionsToWipe.length === 0;
    return {wipeEphemeral: systemDisk, wipeMeta: systemDisk};
  }
  const plan: ResetPlan = {wipeEphemeral: false, wipeMeta: false};
  for (const label of labels) {
    switch (label) {
      case 'EPHEMERAL':
        plan.wipeEphemeral = true;
        break;
      case 'META':
        plan.wipeMeta = true;
        break;
      case 'STATE':
        throw new RpcError(
          status.FAILED_PRECONDITION,
          'reset failed: osd cannot wipe STATE: it holds the machine config and the node certificates, and osd has no maintenance mode ' +
            'to receive new ones, so the node could not come back; wipe EPHEMERAL (and META), or stop the node and delete its state folder',
        );
      default:
        throw plain(`failed to get volume status with label ${JSON.stringify(label)}: resource ${VOLUME_STATUS_TYPE}(runtime/${label}@undefined) doesn't exist`);
    }
  }
  return plan;
}
