// time.TimeService as Talos serves it: Time asks the first configured time server
// (`machine.time.servers`, else a TimeSyncConfig document's `ntp.servers`, else Talos's default
// time.cloudflare.com); TimeCheck asks the server the caller names (`host`, `host:port`, `[v6]:port`).
// The answer is one SNTP exchange; an unreachable or untrustworthy server is an error naming it,
// never a made-up time. Talos returns both errors as plain ones (code Unknown); a TimeCheck that
// names no server is InvalidArgument.
import {status} from '@grpc/grpc-js';
import {TimeServiceService} from '../../machinery/api/time/time.js';
import {encodeTimeResponse, timestampFromNs, type PreciseTimeResponse} from '../../machinery/time-response.js';
import type {MachineConfigDocument, TimeSyncConfigDocument} from '../../machinery/machineconfig/types.js';
import type {NodeInside} from '../inside/node-inside.js';
import {querySntp, validateAnswer} from '../inside/sntp.js';
import {unaryMethod, type LocalMethod} from './methods.js';
import {RpcError} from './rpc-error.js';
import {plainError} from './service-methods.js';

/** Talos's constants.DefaultNTPServer. */
export const DEFAULT_TIME_SERVER = 'time.cloudflare.com';

export interface TimeMethodsOptions {
  /** How long one SNTP exchange may take (beevik/ntp's 5 s). */
  timeoutMs?: number;
}

export function timeMethods(inside: NodeInside, options: TimeMethodsOptions = {}): Array<[string, LocalMethod]> {
  const check = (server: string, signal: AbortSignal): Promise<PreciseTimeResponse> => checkTime(server, signal, options.timeoutMs);
  // The answer keeps the NTP server's nanoseconds (the generated codec would cut them to milliseconds).
  const time = {...TimeServiceService.time, responseSerialize: encodeTimeResponse};
  const timeCheck = {...TimeServiceService.timeCheck, responseSerialize: encodeTimeResponse};
  return [
    unaryMethod(time, (_request, context) => check(configuredTimeServer(inside.machineConfig()), context.signal)),
    unaryMethod(timeCheck, (request, context) => {
      if (request.server === '') throw new RpcError(status.INVALID_ARGUMENT, 'ntp server is required');
      return check(request.server, context.signal);
    }),
  ];
}

export function configuredTimeServer(config: MachineConfigDocument): string {
  const servers = config.v1alpha1?.machine?.time?.servers ?? config.documents.find((d): d is TimeSyncConfigDocument => d.kind === 'TimeSyncConfig')?.ntp?.servers ?? [];
  return servers[0] ?? DEFAULT_TIME_SERVER;
}

async function checkTime(server: string, signal: AbortSignal, timeoutMs?: number): Promise<PreciseTimeResponse> {
  let answer;
  try {
    answer = await querySntp(server, {signal, timeoutMs});
  } catch (error) {
    // The caller went away (Ctrl-C, its deadline): not a failure of osd worth logging as one.
    if (signal.aborted) throw new RpcError(status.CANCELLED, `the call ended before NTP server ${JSON.stringify(server)} answered`);
    throw plainError(`error querying NTP server ${JSON.stringify(server)}: ${(error as Error).message}`);
  }
  try {
    validateAnswer(answer);
  } catch (error) {
    throw plainError(`error validating NTP response: ${(error as Error).message}`);
  }
  return {
    messages: [
      {
        server,
        // The node's clock as Node.js reads it (milliseconds); the server's as it answered.
        localtime: timestampFromNs(BigInt(Date.now()) * 1_000_000n),
        remotetime: timestampFromNs(answer.serverTimeNs),
      },
    ],
  };
}
