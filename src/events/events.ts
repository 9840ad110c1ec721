// Where events go: the append-only audit log, then the adapter's onEvent. Recording an event never
// fails the request that caused it; a failed write is logged as an error instead.
import type { Hooks } from '../adapter/hooks.ts';
import type { Logger } from '../log.ts';
import type { AuditStore } from '../store/store.ts';
import type { EventSink, IdpEvent } from './types.ts';

export function createEvents(options: { audit: AuditStore; hooks: Pick<Hooks, 'onEvent'>; log: Logger }): EventSink {
  const { audit, hooks, log } = options;
  return {
    async emit(event: IdpEvent) {
      try {
        await audit.append({ at: event.at, type: event.type, userId: event.userId, clientId: event.clientId, details: event.details });
      } catch (error) {
        log.error('cannot write the audit event', { event: event.type, reason: error instanceof Error ? error.message : String(error) });
      }
      await hooks.onEvent(event);
    },
  };
}
