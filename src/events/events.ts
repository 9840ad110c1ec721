// Where events go: the append-only audit log, then the adapter's onEvent. Recording an event never
// fails the request that caused it; a failed write is logged as an error instead. token.issued and
// token.refreshed come at the rate tokens are issued, so the audit log keeps them only when the
// audit_token_events setting asks for it; the adapter and the metrics always see them.
import type { Hooks } from '../adapter/hooks.ts';
import type { Logger } from '../log.ts';
import type { AuditStore } from '../store/store.ts';
import type { EventSink, EventType, IdpEvent } from './types.ts';

/** The events as frequent as token requests. */
export const TOKEN_EVENT_TYPES: readonly EventType[] = ['token.issued', 'token.refreshed'];

export interface EventsOptions {
  audit: AuditStore;
  hooks: Pick<Hooks, 'onEvent'>;
  log: Logger;
  /** The audit_token_events setting: also write token.issued and token.refreshed to the audit log. */
  auditTokenEvents: boolean;
}

export function createEvents(options: EventsOptions): EventSink {
  const { audit, hooks, log, auditTokenEvents } = options;
  return {
    async emit(event: IdpEvent) {
      if (auditTokenEvents || !TOKEN_EVENT_TYPES.includes(event.type)) await record(event);
      await hooks.onEvent(event);
    },
  };

  async function record(event: IdpEvent): Promise<void> {
    try {
      await audit.append({ at: event.at, type: event.type, userId: event.userId, clientId: event.clientId, details: event.details });
    } catch (error) {
      log.error('cannot write the audit event', { event: event.type, reason: error instanceof Error ? error.message : String(error) });
    }
  }
}
