// Deletes expired codes, tokens, sessions, interactions and grants, and audit events older than
// audit_retention, in the background, in small batches, so neither the database nor requests wait
// on a large backlog.
import { type Clock, epochSeconds } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { AuditStore, MaintenanceStore } from '../store/store.ts';

export const PURGE_INTERVAL_SECONDS = 60;
const BATCH_SIZE = 500;

export interface PurgeDeps {
  store: { maintenance: MaintenanceStore; audit: AuditStore };
  config: Pick<Config, 'audit_retention'>;
  clock: Clock;
  log: Logger;
}

/** One pass; returns the rows deleted (expired rows and old audit events together). */
export async function purgeOnce({ store, config, clock, log }: PurgeDeps): Promise<number> {
  const now = epochSeconds(clock);
  const deleted = await store.maintenance.purgeExpired(now, BATCH_SIZE);
  if (deleted > 0) log.debug('purged expired rows', { deleted });
  // audit_retention = 0 keeps the audit log forever.
  const events = config.audit_retention > 0 ? await purgeAudit(store.audit, now - config.audit_retention) : 0;
  if (events > 0) log.debug('purged old audit events', { deleted: events });
  return deleted + events;
}

/** Deletes audit events older than `before`, one batch per statement, letting requests run in between. */
async function purgeAudit(audit: AuditStore, before: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const changes = await audit.deleteOlderThan(before, BATCH_SIZE);
    deleted += changes;
    if (changes < BATCH_SIZE) return deleted;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Purges every `intervalSeconds` until the returned function is called; runs never overlap. */
export function startPurging(deps: PurgeDeps, intervalSeconds = PURGE_INTERVAL_SECONDS): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    purgeOnce(deps)
      .catch((error: unknown) => deps.log.error('purge of expired rows failed', { reason: (error as Error).message }))
      .finally(() => {
        running = false;
      });
  }, intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
