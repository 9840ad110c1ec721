// Several idp instances behind one issuer (a load balancer) over one PostgreSQL database: two real
// `idp serve` processes from source, with separate data dirs and one shared IDP_SECRET. A browser may
// land on either of them at every step, single-use codes and refresh tokens stay single-use when the
// same one is raced at both, keys rotated with the CLI reach both, and what the CLI adds (from any
// machine) works on both at once. Also: first start of several instances on an empty database.
// Needs IDP_TEST_DATABASE_URL (skipped with a notice without it; CI fails instead): see
// test/helpers/postgres.ts.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, type JWK, jwtVerify } from 'jose';
import { initialiseInstallation } from '../../src/installation.ts';
import { hashToken } from '../../src/tokens/secret.ts';
import {
  asRecord,
  expectCleanFailure,
  expectJson,
  fetchJwks,
  runIdp,
  type RunningServer,
  serveArgs,
  useSandbox,
  waitForPublishedKid,
} from '../helpers/cli.ts';
import {
  authorizePath,
  basicAuth,
  codeRequestParams,
  hiddenFields,
  location,
  obtainCode,
  REDIRECT_URI,
  TestBrowser,
  type TokenJson,
} from '../helpers/oidc.ts';
import { createTestDatabase, RUN_POSTGRES_TESTS, type TestDatabase } from '../helpers/postgres.ts';

const sandbox = useSandbox();
// Every test starts processes or races real servers: room for a busy machine (bun's default is 5 s).
setDefaultTimeout(30_000);
const PASSWORD = 'correct horse battery staple';
/** The one public URL of both instances, as a load balancer in front of them would have it. */
const ISSUER = 'https://idp.example.test';
const ROUNDS = 4;

/** A server secret as `idp init` makes one: 32 random bytes, base64url (43 characters). */
function newSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
}

interface TokenResult {
  status: number;
  body: Record<string, unknown>;
}

describe.if(RUN_POSTGRES_TESTS)('two idp instances on one PostgreSQL database', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let a: RunningServer;
  let b: RunningServer;
  let client: { id: string; secret: string };
  let alice: { id: string };
  /** The server the browser's next request goes to: tests move it between a and b. */
  let via: RunningServer;
  let browser: TestBrowser;

  /** Runs the CLI as an administrator on another machine: no data dir of its own, only the env. */
  async function admin(args: string[], stdin?: string): Promise<unknown> {
    const dataDir = await sandbox.dataDir();
    return expectJson(await runIdp([...args, '--json', '--data-dir', dataDir], { env, ...(stdin === undefined ? {} : { stdin }) }));
  }

  async function addClient(name: string): Promise<{ id: string; secret: string }> {
    const added = asRecord(await admin(['client', 'add', '--name', name, '--redirect-uri', REDIRECT_URI]));
    if (typeof added.client_id !== 'string' || typeof added.client_secret !== 'string') throw new Error(`no client in ${JSON.stringify(added)}`);
    return { id: added.client_id, secret: added.client_secret };
  }

  async function addUser(username: string): Promise<{ id: string }> {
    const added = asRecord(await admin(['user', 'add', '--username', username, '--email', `${username}@example.test`, '--password-stdin'], `${PASSWORD}\n`));
    if (typeof added.id !== 'string') throw new Error(`no user id in ${JSON.stringify(added)}`);
    return { id: added.id };
  }

  function post(server: RunningServer, path: string, form: Record<string, string>, authorization?: string): Promise<Response> {
    return fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(10_000),
    });
  }

  async function tokenAt(server: RunningServer, form: Record<string, string>, as = client): Promise<TokenResult> {
    const response = await post(server, '/token', form, basicAuth(as.id, as.secret));
    return { status: response.status, body: asRecord(await response.json()) };
  }

  /** A fresh code for `as` from `server`; the browser's session and consent make it one redirect. */
  async function codeFrom(server: RunningServer, as = client) {
    via = server;
    return obtainCode(browser, as.id);
  }

  async function redeem(server: RunningServer, code: { code: string; verifier: string }, as = client): Promise<TokenResult> {
    return tokenAt(server, { grant_type: 'authorization_code', code: code.code, redirect_uri: REDIRECT_URI, code_verifier: code.verifier }, as);
  }

  async function tokensFrom(server: RunningServer, as = client): Promise<TokenJson> {
    const result = await redeem(server, await codeFrom(server, as), as);
    if (result.status !== 200) throw new Error(`token request at ${server.url} failed: ${result.status} ${JSON.stringify(result.body)}`);
    return result.body as unknown as TokenJson;
  }

  async function userinfoStatus(server: RunningServer, accessToken: string): Promise<number> {
    const response = await fetch(`${server.url}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` }, signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
    return response.status;
  }

  async function introspect(server: RunningServer, token: string): Promise<Record<string, unknown>> {
    return asRecord(await (await post(server, '/introspect', { token }, basicAuth(client.id, client.secret))).json());
  }

  async function grantOfCode(code: string): Promise<string> {
    const [row] = await database.query<{ grant_id: string }>('SELECT grant_id FROM authorization_codes WHERE code_hash = $1', [hashToken(code)]);
    if (!row) throw new Error('the code is not stored');
    return row.grant_id;
  }

  async function grantRevokedBy(grantId: string): Promise<{ revoked: boolean; by: unknown[] }> {
    const [grant] = await database.query<{ revoked_at: string | null }>('SELECT revoked_at FROM grants WHERE id = $1', [grantId]);
    const events = await database.query<{ details: string }>("SELECT details FROM audit_events WHERE type = 'token.revoked'");
    const by = events.map((event) => JSON.parse(event.details) as Record<string, unknown>).filter((d) => d.grant_id === grantId).map((d) => d.by);
    return { revoked: grant?.revoked_at !== null && grant?.revoked_at !== undefined, by };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    env = {
      IDP_DATABASE: database.url,
      IDP_SECRET: newSecret(),
      IDP_ISSUER: ISSUER,
      IDP_SIGNING_ALG: 'ES256',
      IDP_KEY_RELOAD_INTERVAL: '1',
      IDP_REFRESH_TOKEN_REUSE_GRACE: '0',
    };
    // Both start at the same moment on the empty database: each would initialise it.
    [a, b] = await Promise.all([sandbox.serve(await sandbox.dataDir(), { env }), sandbox.serve(await sandbox.dataDir(), { env })]);
    alice = await addUser('alice');
    client = await addClient('Shared app');
    browser = newBrowser();
  }, 60_000);

  /** A browser whose every request goes to `via`, whichever instance that is at the time. */
  function newBrowser(): TestBrowser {
    return new TestBrowser({
      request: (path, init = {}) => fetch(`${via.url}${path}`, { ...init, redirect: 'manual', signal: AbortSignal.timeout(10_000) }),
    });
  }

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()].map((stopping) => stopping?.catch(() => {})));
    await database?.drop();
  });

  it('started together on an empty database, they made exactly one initial key set and publish the same JWKS', async () => {
    const stored = await database.query<{ kid: string; alg: string }>('SELECT kid, alg FROM signing_keys ORDER BY seq');
    expect(stored.map((key) => key.alg)).toEqual(['RS256', 'ES256']);
    const [jwksA, jwksB] = await Promise.all([fetchJwks(`${a.url}/jwks`), fetchJwks(`${b.url}/jwks`)]);
    expect(jwksA).toEqual(jwksB);
    expect(jwksA.map((key) => key.kid)).toEqual(stored.map((key) => key.kid));
    const initialised = [a, b].filter((server) => server.stderr().includes('initialised a new data dir'));
    expect(initialised).toHaveLength(1);
  });

  it('a sign-in hopping between instances works: authorize on A, log in on B, consent on A, code redeemed on B', async () => {
    const { params, verifier, nonce } = codeRequestParams(client.id);
    via = a;
    const toLogin = location(await browser.get(authorizePath(params)));
    expect(toLogin).toStartWith('/login');
    const loginPage = await browser.get(toLogin);
    expect(loginPage.status).toBe(200);
    const loginFields = hiddenFields(await loginPage.text());
    expect(Object.keys(loginFields).length).toBeGreaterThan(0);

    // The CSRF token and cookies A made are accepted by B.
    via = b;
    const toResume = location(await browser.post('/login', { ...loginFields, username: 'alice', password: PASSWORD }));
    expect(toResume).not.toStartWith('/login');
    const toConsent = location(await browser.get(toResume));
    expect(toConsent).toStartWith('/consent');
    const consentPage = await browser.get(toConsent);
    expect(consentPage.status).toBe(200);
    const consentFields = hiddenFields(await consentPage.text());

    // And the consent form B rendered is accepted by A.
    via = a;
    const back = new URL(location(await browser.post('/consent', { ...consentFields, decision: 'allow' })));
    expect(back.href.startsWith(REDIRECT_URI)).toBe(true);
    expect(back.searchParams.get('iss')).toBe(ISSUER);
    const code = back.searchParams.get('code');
    if (!code) throw new Error(`no code in ${back.href}`);

    const redeemed = await redeem(b, { code, verifier });
    expect(redeemed.status).toBe(200);
    const tokens = redeemed.body as unknown as TokenJson;
    // B's ID token verifies against A's JWKS, for the one issuer.
    const jwksA = createLocalJWKSet({ keys: (await fetchJwks(`${a.url}/jwks`)) as unknown as JWK[] });
    const { payload } = await jwtVerify(tokens.id_token ?? '', jwksA, { issuer: ISSUER, audience: client.id });
    expect(payload.sub).toBe(alice.id);
    expect(payload.nonce).toBe(nonce);
    expect(await userinfoStatus(a, tokens.access_token)).toBe(200);
    expect(await userinfoStatus(b, tokens.access_token)).toBe(200);
    // A refresh token from B works on A.
    const refreshed = await tokenAt(a, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' });
    expect(refreshed.status).toBe(200);
  });

  // The code (or refresh token) is consumed at exactly one instance; the other one sees it spent,
  // answers invalid_grant and revokes the grant with everything issued from it. The winner re-checks
  // its grant after storing its tokens (tokens/issue.ts) and, when the loser's revocation got there
  // first, answers invalid_grant too rather than hand out tokens that are already revoked. So each
  // race ends with one 200 whose tokens are dead, or with two invalid_grant: never two 200s, and never
  // a usable token.
  function expectRaceOutcome(results: TokenResult[]): TokenJson | null {
    const failures = results.filter((result) => result.status !== 200);
    expect(failures.length).toBeGreaterThanOrEqual(1);
    for (const failure of failures) {
      expect(failure.status).toBe(400);
      expect(failure.body.error).toBe('invalid_grant');
    }
    const winner = results.find((result) => result.status === 200);
    return winner ? (winner.body as unknown as TokenJson) : null;
  }

  async function expectDead(tokens: TokenJson): Promise<void> {
    for (const server of [a, b]) {
      expect(await userinfoStatus(server, tokens.access_token)).toBe(401);
      expect(await introspect(server, tokens.access_token)).toEqual({ active: false });
    }
    const refresh = await tokenAt(a, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
  }

  it('racing one authorization code at A and B: it is redeemed at most once, and the replay revokes what it issued', async () => {
    const winners: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const code = await codeFrom(round % 2 === 0 ? a : b);
      const grantId = await grantOfCode(code.code);
      const results = await Promise.all([redeem(a, code), redeem(b, code)]);
      const winner = expectRaceOutcome(results);
      if (winner) {
        winners.push(round);
        await expectDead(winner);
      }
      expect(await grantRevokedBy(grantId)).toEqual({ revoked: true, by: ['code_replay'] });
    }
    console.info(`code races: ${winners.length} of ${ROUNDS} had a 200 (its tokens then revoked), the rest two invalid_grant`);
  });

  it('racing one refresh token at A and B (grace 0): it is used at most once, and the reuse revokes the family', async () => {
    const winners: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const code = await codeFrom(round % 2 === 0 ? b : a);
      const grantId = await grantOfCode(code.code);
      const first = await redeem(round % 2 === 0 ? a : b, code);
      expect(first.status).toBe(200);
      const { refresh_token } = first.body as unknown as TokenJson;
      const results = await Promise.all([a, b].map((server) => tokenAt(server, { grant_type: 'refresh_token', refresh_token: refresh_token ?? '' })));
      const winner = expectRaceOutcome(results);
      if (winner) {
        winners.push(round);
        expect(winner.refresh_token).toBeString();
        await expectDead(winner);
      }
      // The family is gone: the tokens of the first response too.
      await expectDead(first.body as unknown as TokenJson);
      expect(await grantRevokedBy(grantId)).toEqual({ revoked: true, by: ['refresh_reuse'] });
    }
    console.info(`refresh races: ${winners.length} of ${ROUNDS} had a 200 (its tokens then revoked), the rest two invalid_grant`);
  });

  it('a key rotated with `idp keys rotate --now` is published by both within the reload interval and signs their ID tokens', async () => {
    const before = await tokensFrom(a);
    const { alg } = decodeProtectedHeader(before.id_token ?? '');
    const rotated = asRecord(await admin(['keys', 'rotate', '--now', '--alg', String(alg)]));
    const kid = String(rotated.kid);
    expect(decodeProtectedHeader(before.id_token ?? '').kid).not.toBe(kid);
    // Reload interval 1 s; waitForPublishedKid allows 3 s.
    await Promise.all([waitForPublishedKid(`${a.url}/jwks`, kid), waitForPublishedKid(`${b.url}/jwks`, kid)]);
    for (const server of [a, b]) {
      const { id_token } = await tokensFrom(server);
      expect(decodeProtectedHeader(id_token ?? '')).toMatchObject({ alg, kid });
    }
  });

  it('a user and a client added with the CLI on another machine work on both instances at once', async () => {
    const bob = await addUser('bob');
    const app = await addClient('New app');
    // Straight away, no restart: bob signs in to the new app on A (login and consent pages), then gets
    // a code from B too; each instance's tokens work at the other.
    const bobsBrowser = newBrowser();
    for (const server of [a, b]) {
      via = server;
      const { code, verifier } = await obtainCode(bobsBrowser, app.id, {}, { username: 'bob', password: PASSWORD });
      const result = await redeem(server, { code, verifier }, app);
      expect(result.status).toBe(200);
      const tokens = result.body as unknown as TokenJson;
      const other = server === a ? b : a;
      const userinfo = await fetch(`${other.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` }, signal: AbortSignal.timeout(10_000) });
      expect(asRecord(await userinfo.json()).sub).toBe(bob.id);
    }
  });

  it('an instance without the shared secret refuses to start, saying to share IDP_SECRET', async () => {
    const { IDP_SECRET: _, ...withoutSecret } = env;
    const dataDir = await sandbox.dataDir();
    const missing = expectCleanFailure(await runIdp(serveArgs(dataDir), { env: withoutSecret, timeoutMs: 20_000 }));
    expect(missing).toContain('set that same IDP_SECRET on every instance sharing the database');
    expect(missing).toContain(`${dataDir}/secret`);
    expect(existsSync(join(dataDir, 'secret'))).toBe(false);

    const wrong = expectCleanFailure(await runIdp(serveArgs(await sandbox.dataDir()), { env: { ...env, IDP_SECRET: newSecret() }, timeoutMs: 20_000 }));
    expect(wrong).toContain('cannot decrypt the signing keys');
    expect(wrong).toContain('must use the same IDP_SECRET');
  });
});

describe.if(RUN_POSTGRES_TESTS)('first start of several instances on an empty PostgreSQL database', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function startTogether(secrets: (string | undefined)[]) {
    const dataDirs = await Promise.all(secrets.map(() => sandbox.dataDir()));
    const settled = await Promise.allSettled(
      secrets.map((secret, i) =>
        initialiseInstallation({
          dataDir: dataDirs[i] as string,
          configFile: undefined,
          env: { IDP_DATABASE: database.url, IDP_SIGNING_ALG: 'ES256', ...(secret === undefined ? {} : { IDP_SECRET: secret }) },
          ifAlreadyInitialised: 'open',
        }),
      ),
    );
    const opened = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    await Promise.all(opened.map((installation) => installation.store.close()));
    return { settled, dataDirs };
  }

  it('with one shared IDP_SECRET: exactly one creates the initial keys and all open them', async () => {
    for (let round = 0; round < 3; round++) {
      await database.reset();
      const secret = newSecret();
      const { settled } = await startTogether([secret, secret, secret]);
      const results = settled.map((result) => {
        if (result.status === 'rejected') throw result.reason;
        return result.value;
      });
      expect(results.filter((result) => result.created)).toHaveLength(1);
      const stored = await database.query<{ alg: string }>('SELECT alg FROM signing_keys');
      expect(stored.map((key) => key.alg)).toEqual(['RS256', 'ES256']);
    }
  });

  it('each with a secret of its own: one starts, the others fail saying to share IDP_SECRET and leave no secret file', async () => {
    for (let round = 0; round < 3; round++) {
      await database.reset();
      const { settled, dataDirs } = await startTogether([undefined, undefined, undefined]);
      const started = settled.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
      expect(started).toHaveLength(1);
      expect(await database.query('SELECT kid FROM signing_keys')).toHaveLength(2);
      settled.forEach((result, i) => {
        if (result.status === 'fulfilled') {
          expect(existsSync(join(dataDirs[i] as string, 'secret'))).toBe(true);
          return;
        }
        expect(String((result.reason as Error).message)).toContain('set that same IDP_SECRET on every instance sharing the database');
        expect(existsSync(join(dataDirs[i] as string, 'secret'))).toBe(false);
      });
    }
  });
});
