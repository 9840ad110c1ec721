// A pending authorization request between /authorize and the code: stored server-side under a
// random id (only its digest is kept) and bound to the browser that started it.
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import type { InteractionRecord } from '../store/store.ts';
import { hashToken, randomToken, safeEqual } from '../tokens/secret.ts';
import type { AuthorizationRequest } from './request.ts';

/** Long enough to type a password, short enough that a forgotten tab cannot be resumed days later. */
export const INTERACTION_TTL = 1800;

export interface Interaction {
  id: string;
  record: InteractionRecord;
  request: AuthorizationRequest;
}

export async function createInteraction(
  deps: Pick<Deps, 'store' | 'clock'>,
  browserId: string,
  request: AuthorizationRequest,
): Promise<string> {
  const id = randomToken();
  const now = epochSeconds(deps.clock);
  await deps.store.interactions.insertInteraction({
    idHash: hashToken(id),
    browserHash: hashToken(browserId),
    request: JSON.stringify(request),
    userId: null,
    loginAt: null,
    createdAt: now,
    expiresAt: now + INTERACTION_TTL,
  });
  return id;
}

/** The live interaction `id` if this browser started it; otherwise null. */
export async function loadInteraction(
  deps: Pick<Deps, 'store' | 'clock'>,
  id: string | undefined,
  browserId: string | null,
): Promise<Interaction | null> {
  if (!id || !browserId) return null;
  const record = await deps.store.interactions.findInteraction(hashToken(id), epochSeconds(deps.clock));
  if (!record || !safeEqual(record.browserHash, hashToken(browserId))) return null;
  const request = JSON.parse(record.request) as AuthorizationRequest;
  // Interactions stored before the implicit flow existed were all for a code.
  return { id, record, request: { ...request, responseType: request.responseType ?? 'code' } };
}
