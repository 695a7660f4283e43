// The Events RPC (talos-api.md §3.9): an empty hello first, then the requested tail of the runtime
// event history, then live events. A client that stops reading is ended by the stream's bound
// (buffer overrun) rather than growing osd's memory.
import {MachineServiceService, type Event} from '../../machinery/api/machine/machine.js';
import {isXid, type EventTail, type RuntimeEvent, type RuntimeEvents} from '../events/runtime-events.js';
import {serverStreamMethod, type LocalMethod} from './methods.js';
import {plainError} from './service-methods.js';

export function eventMethods(events: RuntimeEvents): Array<[string, LocalMethod]> {
  return [
    serverStreamMethod(MachineServiceService.events, async (request, {signal}, stream) => {
      // Talos's watch options refuse combinations in this order (tail events, then id, then duration).
      let tail: EventTail = {kind: 'none'};
      if (request.tailEvents !== 0) tail = {kind: 'events', count: request.tailEvents};
      if (request.tailId !== '') {
        if (!isXid(request.tailId)) throw plainError('error parsing tail_id: xid: invalid ID');
        if (tail.kind !== 'none') throw plainError("WithTailID can't be specified at the same time with WithTailEvents or WithTailDuration");
        tail = {kind: 'id', after: request.tailId};
      }
      if (request.tailSeconds !== 0) {
        if (tail.kind !== 'none') throw plainError("WithTailDuration can't be specified at the same time with WithTailEvents or WithTailID");
        tail = {kind: 'seconds', seconds: request.tailSeconds};
      }
      const actor = request.withActorId;
      stream.describeOverrun({subject: 'the events stream'});
      await stream.send({id: '', actorId: ''});
      const toMessage = (event: RuntimeEvent): Event => ({
        id: event.id,
        actorId: event.actorId,
        data: {typeUrl: event.typeUrl, value: event.value},
      });
      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        const stop = events.watch(tail, (event) => {
          if (actor !== '' && event.actorId !== actor) return;
          void stream.send(toMessage(event));
        });
        signal.addEventListener(
          'abort',
          () => {
            stop();
            resolve();
          },
          {once: true},
        );
      });
    }),
  ];
}
