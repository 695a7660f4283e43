// A deadline that ends a call does not end what the node does: etcd leave and defrag go on there.
import {CliError, Status} from '../../errors.js';

/**
 * Runs a mutating call; when its deadline passes, the error says that the node may still finish
 * the work (so a script checks before retrying), with `hints` telling how.
 */
export async function mayGoOnAfterDeadline<T>(call: Promise<T>, hints: string[]): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if ((err as {code?: unknown}).code !== Status.DEADLINE_EXCEEDED || !(err instanceof CliError)) throw err;
    throw new CliError(err.message.replace(/; retry with a larger --timeout, or check the node\.$/, '.'), err.exitCode, hints);
  }
}
