// A key's state is derived from its times, so every instance and the CLI agree without a scheduler:
//   next      published in the JWKS, not signing yet (activatesAt in the future)
//   active    the newest activated key of its algorithm: it signs
//   retiring  superseded by a newer active key; still published so tokens it signed verify
//   retired   no longer published
import { SIGNING_ALGS, type SigningAlg } from '../config/schema.ts';
import type { SigningKeyRecord } from '../store/store.ts';

export type KeyState = 'next' | 'active' | 'retiring' | 'retired';

export interface KeyView {
  kid: string;
  alg: SigningAlg;
  state: KeyState;
  createdAt: number;
  activatesAt: number;
  /** When a newer key of the same algorithm took over signing; null while none has. */
  supersededAt: number | null;
  retiredAt: number | null;
}

/**
 * Keys ordered by when they started signing. The sort is stable and the store lists keys in
 * insertion order, so of two keys activated in the same second the later rotation wins.
 */
function bySigningOrder(a: SigningKeyRecord, b: SigningKeyRecord): number {
  return a.activatesAt - b.activatesAt;
}

/** A key that reached its activation time while still published has signed (or signs) tokens. */
function hasSigned(key: SigningKeyRecord, now: number): boolean {
  return key.activatesAt <= now && (key.retiredAt === null || key.retiredAt > key.activatesAt);
}

/** `records` in insertion order, as SigningKeyStore.listSigningKeys returns them. */
export function describeKeys(records: readonly SigningKeyRecord[], now: number): KeyView[] {
  const signers = records.filter((key) => hasSigned(key, now)).sort(bySigningOrder);
  const active = new Map<SigningAlg, string>();
  for (const key of signers) if (key.retiredAt === null) active.set(key.alg, key.kid);

  return records.map((key) => {
    const sameAlg = signers.filter((other) => other.alg === key.alg);
    const successor = hasSigned(key, now) ? sameAlg[sameAlg.findIndex((other) => other.kid === key.kid) + 1] : undefined;
    const state: KeyState =
      key.retiredAt !== null ? 'retired' : key.activatesAt > now ? 'next' : active.get(key.alg) === key.kid ? 'active' : 'retiring';
    return {
      kid: key.kid,
      alg: key.alg,
      state,
      createdAt: key.createdAt,
      activatesAt: key.activatesAt,
      supersededAt: successor?.activatesAt ?? null,
      retiredAt: key.retiredAt,
    };
  });
}

/** The earliest future moment at which some key's state changes by time alone (a `next` key activates). */
export function nextTransition(records: readonly SigningKeyRecord[], now: number): number {
  let next = Number.POSITIVE_INFINITY;
  for (const key of records) if (key.retiredAt === null && key.activatesAt > now) next = Math.min(next, key.activatesAt);
  return next;
}

/** Algorithms in the order discovery lists them: RS256 first (OIDC Core §15.1), then ES256, EdDSA. */
export function orderAlgorithms(algs: Iterable<SigningAlg>): SigningAlg[] {
  return [...new Set(algs)].sort((a, b) => SIGNING_ALGS.indexOf(a) - SIGNING_ALGS.indexOf(b));
}

/** Algorithms that have an active signing key at `now`. */
export function activeAlgorithms(records: readonly SigningKeyRecord[], now: number): SigningAlg[] {
  return orderAlgorithms(describeKeys(records, now).filter((key) => key.state === 'active').map((key) => key.alg));
}
