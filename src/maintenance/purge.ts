// Deletes expired codes, tokens, sessions, interactions and grants in the background, in small
// batches, so neither the database nor requests wait on a large backlog.
import { type Clock, epochSeconds } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { MaintenanceStore } from '../store/store.ts';

export const PURGE_INTERVAL_SECONDS = 60;
const BATCH_SIZE = 500;

export interface PurgeDeps {
  store: { maintenance: MaintenanceStore };
  clock: Clock;
  log: Logger;
}

export async function purgeOnce({ store, clock, log }: PurgeDeps): Promise<number> {
  const deleted = await store.maintenance.purgeExpired(epochSeconds(clock), BATCH_SIZE);
  if (deleted > 0) log.debug('purged expired rows', { deleted });
  return deleted;
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
