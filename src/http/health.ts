// Liveness (/healthz: the process serves requests) and readiness (/readyz: it can also do its job:
// the database answers and the default and RS256 signing keys are active). A load balancer should
// route to an instance only while /readyz answers 200.
import { Elysia } from 'elysia';
import type { Deps } from '../deps.ts';

/** A database that has not answered by then is as good as down for a probe. */
const PING_TIMEOUT_MS = 3_000;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });

async function databaseAnswers(store: Deps['store']): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
  });
  try {
    await Promise.race([store.ping(), timeout]);
    return true;
  } finally {
    clearTimeout(timer);
  }
}

/** Why the instance cannot serve now; empty when it can. Reasons are short and name no secret. */
export async function notReadyReasons(deps: Pick<Deps, 'store' | 'keyring' | 'config' | 'log'>): Promise<string[]> {
  const reasons: string[] = [];
  try {
    await databaseAnswers(deps.store);
  } catch (error) {
    deps.log.warn('readiness: the database does not answer', { reason: error instanceof Error ? error.message : String(error) });
    reasons.push('the database does not answer');
  }
  const active = new Set(deps.keyring.signingAlgorithms());
  // OIDC requires RS256; signing_alg signs JWT access tokens and is the default for ID tokens.
  for (const alg of new Set(['RS256', deps.config.signing_alg] as const)) {
    if (!active.has(alg)) reasons.push(`no active ${alg} signing key`);
  }
  return reasons;
}

export function healthEndpoint(deps: Pick<Deps, 'store' | 'keyring' | 'config' | 'log'>) {
  return new Elysia({ name: 'idp.health' })
    .get('/healthz', () => json({ status: 'ok' }))
    .get('/readyz', async () => {
      const reasons = await notReadyReasons(deps);
      return reasons.length === 0 ? json({ status: 'ready' }) : json({ status: 'not_ready', reasons }, 503);
    });
}
