// `idp client`: the secret is printed once (add, rotate-secret) and stored only as a digest; show and
// list never print it; update replaces lists; every mistake is one sentence; flags of features this
// build lacks are refused as unknown options.
import { Database } from 'bun:sqlite';
import { beforeAll, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite.ts';
import { hashToken, randomToken } from '../../src/tokens/secret.ts';
import { createUser } from '../../src/users/users.ts';
import { asRecord, asStringArray, expectCleanFailure, expectJson, runIdp, useSandbox } from '../helpers/cli.ts';

const sandbox = useSandbox();
const REDIRECT = 'https://app.example.test/callback';

// One data dir for the file: every test adds its own clients.
let dataDir: string;
beforeAll(async () => {
  dataDir = await sandbox.initDataDir();
});

const client = (args: string[]) => runIdp(['--data-dir', dataDir, 'client', ...args]);
/** `idp client SUBCOMMAND --json ...args`: --json goes first, since arguments may end with `-- ID`. */
const clientJson = async ([subcommand = '', ...args]: string[]) => asRecord(expectJson(await client([subcommand, '--json', ...args])));

interface AddedClient {
  id: string;
  secret: string;
  printed: Record<string, unknown>;
}

/** `idp client add --json` of a confidential client. */
async function addConfidential(extra: string[] = []): Promise<AddedClient> {
  const printed = await clientJson(['add', '--name', 'Web app', '--redirect-uri', REDIRECT, ...extra]);
  const { client_id: id, client_secret: secret } = printed;
  if (typeof id !== 'string' || typeof secret !== 'string') throw new Error(`no client_id or client_secret in ${JSON.stringify(printed)}`);
  return { id, secret, printed };
}

function storedSecretHash(id: string): string | null {
  const db = new Database(join(dataDir, 'idp.db'), { readonly: true });
  try {
    return db.query<{ secret_hash: string | null }, [string]>('SELECT secret_hash FROM clients WHERE id = ?').get(id)?.secret_hash ?? null;
  } finally {
    db.close();
  }
}

function storedPreviousSecret(id: string): { hash: string | null; expiresAt: number | null } {
  const db = new Database(join(dataDir, 'idp.db'), { readonly: true });
  try {
    const row = db
      .query<{ previous_secret_hash: string | null; previous_secret_expires_at: number | null }, [string]>(
        'SELECT previous_secret_hash, previous_secret_expires_at FROM clients WHERE id = ?',
      )
      .get(id);
    return { hash: row?.previous_secret_hash ?? null, expiresAt: row?.previous_secret_expires_at ?? null };
  } finally {
    db.close();
  }
}

/** A user (made here, without a password) with a live grant at the client: its access and refresh token digests. */
async function seedGrant(clientId: string): Promise<{ grantId: string; accessHash: string; refreshHash: string }> {
  const store = openSqliteStore(join(dataDir, 'idp.db'));
  try {
    const user = await createUser({ users: store.users, clock: systemClock }, { username: `holder-${randomToken(6)}` });
    const now = Math.floor(Date.now() / 1000);
    const grantId = randomToken(16);
    const common = { grantId, clientId, userId: user.id, scope: 'openid offline_access', createdAt: now, expiresAt: now + 3600 };
    await store.tokens.insertGrant({ id: grantId, userId: user.id, clientId, scope: common.scope, sid: null, authTime: now, createdAt: now, expiresAt: now + 3600, revokedAt: null });
    const accessHash = hashToken(randomToken());
    const refreshHash = hashToken(randomToken());
    await store.tokens.insertAccessToken({ ...common, tokenHash: accessHash, claims: null });
    await store.tokens.insertRefreshToken({ ...common, tokenHash: refreshHash, rotatedAt: null });
    return { grantId, accessHash, refreshHash };
  } finally {
    await store.close();
  }
}

async function tokensLeft(seeded: { accessHash: string; refreshHash: string }): Promise<number> {
  const store = openSqliteStore(join(dataDir, 'idp.db'));
  try {
    const found = [await store.tokens.findAccessToken(seeded.accessHash), await store.tokens.findRefreshToken(seeded.refreshHash)];
    return found.filter((token) => token !== null).length;
  } finally {
    await store.close();
  }
}

function clientCount(): number {
  const db = new Database(join(dataDir, 'idp.db'), { readonly: true });
  try {
    return db.query<{ count: number }, []>('SELECT COUNT(*) AS count FROM clients').get()?.count ?? 0;
  } finally {
    db.close();
  }
}

describe('idp client add', () => {
  it('--json prints one document with client_id, a client_secret of 256 bits or more, and the metadata', async () => {
    const { id, secret, printed } = await addConfidential(['--scope', 'openid', '--scope', 'email', '--default-scope', 'openid']);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(printed).toMatchObject({
      client_name: 'Web app',
      client_type: 'confidential',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'email'],
      default_scopes: ['openid'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
  });

  it('stores the secret only as its SHA-256 digest', async () => {
    const { id, secret } = await addConfidential();
    expect(storedSecretHash(id)).toBe(hashToken(secret));
  });

  it('without --json prints client_id and client_secret once, saying the secret is shown only once', async () => {
    const before = clientCount();
    const result = await client(['add', '--name', 'Human', '--redirect-uri', REDIRECT]);
    expect(result.exitCode).toBe(0);
    const secret = /^client_secret\s+(\S+)$/m.exec(result.stdout)?.[1];
    const id = /^client_id\s+(\S+)$/m.exec(result.stdout)?.[1];
    if (!secret || !id) throw new Error(`no client_id or client_secret line in: ${result.stdout}`);
    expect(result.stdout.split(secret)).toHaveLength(2);
    expect(result.stdout).toContain('shown only once');
    expect(storedSecretHash(id)).toBe(hashToken(secret));
    expect(clientCount()).toBe(before + 1);
  });

  it('a public client has auth method none, no secret and no stored digest', async () => {
    const printed = await clientJson(['add', '--name', 'SPA', '--type', 'public', '--redirect-uri', 'com.example.app:/callback']);
    expect(printed).toMatchObject({ client_secret: null, client_type: 'public', token_endpoint_auth_method: 'none' });
    expect(storedSecretHash(String(printed.client_id))).toBeNull();
  });

  it('repeated flags collect every value', async () => {
    const { printed } = await addConfidential(['--redirect-uri', 'http://127.0.0.1:8080/cb', '--audience', 'api-a', '--audience', 'api-b']);
    expect(printed.redirect_uris).toEqual([REDIRECT, 'http://127.0.0.1:8080/cb']);
    expect(printed.audiences).toEqual(['api-a', 'api-b']);
  });

  it('refuses --id-token-alg for an algorithm without an active signing key, naming the fix', async () => {
    const before = clientCount();
    const message = expectCleanFailure(await client(['add', '--name', 'Web app', '--redirect-uri', REDIRECT, '--id-token-alg', 'EdDSA']));
    expect(message).toContain('idp keys rotate --alg EdDSA --now');
    expect(clientCount()).toBe(before);
  });

  it('takes --skip-consent, --token-format, --id-token-alg and --auth-method', async () => {
    expect((await runIdp(['--data-dir', dataDir, 'keys', 'rotate', '--alg', 'ES256', '--now'])).exitCode).toBe(0);
    const { printed } = await addConfidential(['--skip-consent', '--token-format', 'jwt', '--id-token-alg', 'ES256', '--auth-method', 'client_secret_post']);
    expect(printed).toMatchObject({
      skip_consent: true,
      access_token_format: 'jwt',
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_post',
    });
  });

  it('without a terminal and without --name, fails naming --name and adds no client', async () => {
    const before = clientCount();
    expect(expectCleanFailure(await client(['add', '--redirect-uri', REDIRECT]))).toContain('--name');
    expect(clientCount()).toBe(before);
  });

  it('without a terminal and without --redirect-uri, fails naming --redirect-uri and adds no client', async () => {
    const before = clientCount();
    expect(expectCleanFailure(await client(['add', '--name', 'No redirect']))).toContain('--redirect-uri');
    expect(clientCount()).toBe(before);
  });

  it('an http redirect URI on a public host is refused in one sentence naming --allow-insecure-redirect-uris', async () => {
    const result = await client(['add', '--name', 'Dev', '--redirect-uri', 'http://dev.example.test/cb']);
    expect(expectCleanFailure(result)).toContain('--allow-insecure-redirect-uris');
    const allowed = await clientJson(['add', '--name', 'Dev', '--redirect-uri', 'http://dev.example.test/cb', '--allow-insecure-redirect-uris']);
    expect(allowed.allow_insecure_redirect_uris).toBe(true);
  });

  it('a grant type this build does not implement is refused in one sentence naming it', async () => {
    const result = await client(['add', '--name', 'TV', '--redirect-uri', REDIRECT, '--grant-type', 'password']);
    expect(expectCleanFailure(result)).toContain('password');
  });

  it('a client_credentials client needs no redirect URI and gets a secret', async () => {
    const printed = await clientJson(['add', '--name', 'M2M', '--grant-type', 'client_credentials']);
    expect(printed.grant_types).toEqual(['client_credentials']);
    expect(typeof printed.client_secret).toBe('string');
  });

  it('a confidential client with --auth-method none is refused in one sentence', async () => {
    expectCleanFailure(await client(['add', '--name', 'Bad', '--redirect-uri', REDIRECT, '--auth-method', 'none']));
  });

  it('a value outside the choices of --type is refused in one sentence', async () => {
    expect(expectCleanFailure(await client(['add', '--name', 'Bad', '--redirect-uri', REDIRECT, '--type', 'secret']))).toContain('--type');
  });

  it('OIDC Core §8: --subject-type pairwise, with the sector taken from the one redirect host or --sector-identifier', async () => {
    const { id, printed } = await addConfidential(['--subject-type', 'pairwise']);
    expect(printed).toMatchObject({ subject_type: 'pairwise', sector_identifier: null });
    const sectored = await addConfidential(['--subject-type', 'pairwise', '--sector-identifier', 'Apps.Example.TEST:8443']);
    expect(sectored.printed).toMatchObject({ subject_type: 'pairwise', sector_identifier: 'apps.example.test:8443' });
    // Public is the default, and shown as such.
    expect((await addConfidential()).printed).toMatchObject({ subject_type: 'public', sector_identifier: null });

    const shown = await client(['show', id]);
    expect(shown.stdout).toMatch(/^subject_type\s+pairwise$/m);
    const updated = await clientJson(['update', '--sector-identifier', 'apps.example.test', '--', id]);
    expect(updated).toMatchObject({ subject_type: 'pairwise', sector_identifier: 'apps.example.test' });
    expect((await client(['show', id])).stdout).toMatch(/^sector_identifier\s+apps\.example\.test$/m);
    // Back to public: the sector identifier no longer means anything and is dropped.
    expect(await clientJson(['update', '--subject-type', 'public', '--', id])).toMatchObject({ subject_type: 'public', sector_identifier: null });
  });

  it('OIDC Core §8.1: a pairwise client with redirect URIs on several hosts needs --sector-identifier', async () => {
    const before = clientCount();
    const twoHosts = ['--redirect-uri', REDIRECT, '--redirect-uri', 'https://other.example.test/callback'];
    const sentence = expectCleanFailure(await client(['add', '--name', 'Two hosts', ...twoHosts, '--subject-type', 'pairwise']));
    expect(sentence).toContain('--sector-identifier');
    expect(sentence).toContain('app.example.test, other.example.test');
    expect(clientCount()).toBe(before);
    const added = asRecord(expectJson(await client(['add', '--json', '--name', 'Two hosts', ...twoHosts, '--subject-type', 'pairwise', '--sector-identifier', 'example.test'])));
    expect(added).toMatchObject({ subject_type: 'pairwise', sector_identifier: 'example.test' });
    // A public client may have as many hosts as it likes; turning it pairwise later is checked the same way.
    const { id } = await addConfidential(['--redirect-uri', 'https://other.example.test/callback']);
    expect(expectCleanFailure(await client(['update', '--subject-type', 'pairwise', '--', id]))).toContain('--sector-identifier');
    // Removing the sector identifier of such a client is refused too.
    expect(expectCleanFailure(await client(['update', '--sector-identifier', '', '--', String(added.client_id)]))).toContain('--sector-identifier');
  });

  it('refuses a bad --subject-type, a sector identifier that is not a host, and one on a public client', async () => {
    const before = clientCount();
    expect(expectCleanFailure(await client(['add', '--name', 'Bad', '--redirect-uri', REDIRECT, '--subject-type', 'x']))).toContain('--subject-type');
    for (const sector of ['https://apps.example.test', 'apps example', 'apps.example.test/path', 'apps.example.test:0', '-apps.example.test', 'apps..test']) {
      const sentence = expectCleanFailure(await client(['add', '--name', 'Bad', '--redirect-uri', REDIRECT, '--subject-type', 'pairwise', '--sector-identifier', sector]));
      expect(sentence).toContain('sector identifier is a host name');
    }
    expect(expectCleanFailure(await client(['add', '--name', 'Bad', '--redirect-uri', REDIRECT, '--sector-identifier', 'apps.example.test']))).toContain(
      '--subject-type pairwise',
    );
    expect(clientCount()).toBe(before);
  });

  it('takes --post-logout-redirect-uri, --cors-origin and --allow-wildcards', async () => {
    const { printed } = await addConfidential([
      '--allow-wildcards',
      '--redirect-uri',
      'https://myapp-*.vercel.app/callback',
      '--post-logout-redirect-uri',
      'https://app.example.test/',
      '--cors-origin',
      'https://*.app.example.test',
    ]);
    expect(printed).toMatchObject({
      allow_wildcards: true,
      redirect_uris: [REDIRECT, 'https://myapp-*.vercel.app/callback'],
      post_logout_redirect_uris: ['https://app.example.test/'],
      cors_origins: ['https://*.app.example.test'],
    });
  });

  it('refuses a wildcard without --allow-wildcards, and a wildcard in the registrable domain with it', async () => {
    expect(expectCleanFailure(await client(['add', '--name', 'W', '--redirect-uri', 'https://*.example.test/cb']))).toContain('--allow-wildcards');
    expect(
      expectCleanFailure(await client(['add', '--name', 'W', '--allow-wildcards', '--redirect-uri', 'https://*.com/cb'])),
    ).toContain('registrable domain');
  });
});

describe('idp client show and list', () => {
  it('show --json prints the client but never the secret or its digest', async () => {
    const { id, secret, printed } = await addConfidential();
    const result = await client(['show', '--json', '--', id]);
    const { client_secret: _secret, ...metadata } = printed;
    expect(asRecord(expectJson(result))).toEqual(metadata);
    expect(result.stdout).not.toContain(secret);
    expect(result.stdout).not.toContain(hashToken(secret));
    expect(result.stdout).not.toMatch(/secret_hash|secretHash|client_secret"/);
  });

  it('show without --json never prints the secret or its digest', async () => {
    const { id, secret } = await addConfidential();
    const result = await client(['show', '--', id]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(id);
    expect(result.stdout).not.toContain(secret);
    expect(result.stdout).not.toContain(hashToken(secret));
  });

  it('list --json is one array holding the clients, without secrets or digests', async () => {
    const { id, secret } = await addConfidential();
    const result = await client(['list', '--json']);
    const clients = expectJson(result);
    if (!Array.isArray(clients)) throw new Error('client list --json is not an array');
    expect(clients.map((entry) => asRecord(entry).client_id)).toContain(id);
    expect(result.stdout).not.toContain(secret);
    expect(result.stdout).not.toContain(hashToken(secret));
  });

  it('list without --json prints a table with a header row', async () => {
    const { id } = await addConfidential();
    const result = await client(['list']);
    expect(result.stdout.split('\n')[0]).toMatch(/^CLIENT_ID\s+NAME/);
    expect(result.stdout).toContain(id);
  });
});

describe('idp client update', () => {
  it('a repeated flag replaces the whole list', async () => {
    const { id } = await addConfidential(['--redirect-uri', 'https://app.example.test/second']);
    const uris = ['https://app.example.test/third', 'https://app.example.test/fourth'];
    const updated = await clientJson(['update', '--redirect-uri', uris[0] ?? '', '--redirect-uri', uris[1] ?? '', '--', id]);
    expect(updated.redirect_uris).toEqual(uris);
  });

  it('flags left out keep their values, and the secret digest is unchanged', async () => {
    const { id, secret, printed } = await addConfidential(['--audience', 'api']);
    const updated = await clientJson(['update', '--name', 'Renamed', '--', id]);
    expect(updated).toMatchObject({ client_name: 'Renamed', redirect_uris: printed.redirect_uris, audiences: ['api'] });
    expect(storedSecretHash(id)).toBe(hashToken(secret));
  });

  it('--skip-consent and --no-skip-consent switch consent off and on', async () => {
    const { id } = await addConfidential();
    expect((await clientJson(['update', '--skip-consent', '--', id])).skip_consent).toBe(true);
    expect((await clientJson(['update', '--no-skip-consent', '--', id])).skip_consent).toBe(false);
  });

  it('--audience "" empties the audience list', async () => {
    const { id } = await addConfidential(['--audience', 'api']);
    expect(asStringArray((await clientJson(['update', '--audience', '', '--', id])).audiences)).toEqual([]);
  });

  it('a change of client type is refused in one sentence', async () => {
    const { id } = await addConfidential();
    expectCleanFailure(await client(['update', '--type', 'public', '--', id]));
  });

  it('with nothing to change fails in one sentence', async () => {
    const { id } = await addConfidential();
    expect(expectCleanFailure(await client(['update', '--', id]))).toContain('Nothing to change');
  });

  it('--cors-origin replaces the origins; a path is refused', async () => {
    const { id } = await addConfidential();
    const updated = await clientJson(['update', '--cors-origin', 'https://app.example.test', '--', id]);
    expect(updated.cors_origins).toEqual(['https://app.example.test']);
    expect(expectCleanFailure(await client(['update', '--cors-origin', 'https://app.example.test/x', '--', id]))).toContain('not an origin');
  });
});

describe('idp client rotate-secret', () => {
  it('prints a new secret once; the stored digest becomes its digest', async () => {
    const { id, secret: old } = await addConfidential();
    const rotated = await clientJson(['rotate-secret', '--', id]);
    const secret = rotated.client_secret;
    if (typeof secret !== 'string') throw new Error('rotate-secret printed no client_secret');
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(secret).not.toBe(old);
    expect(storedSecretHash(id)).toBe(hashToken(secret));
  });

  it('without --json says the secret is shown only once', async () => {
    const { id } = await addConfidential();
    const result = await client(['rotate-secret', '--', id]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('shown only once');
  });

  it('is refused in one sentence for a public client', async () => {
    const added = await clientJson(['add', '--name', 'SPA', '--type', 'public', '--redirect-uri', REDIRECT]);
    expect(expectCleanFailure(await client(['rotate-secret', '--', String(added.client_id)]))).toContain('public');
  });

  it('--grace SECONDS keeps the previous secret digest until now + SECONDS and prints that time', async () => {
    const { id, secret: old } = await addConfidential();
    const before = Math.floor(Date.now() / 1000);
    const rotated = await clientJson(['rotate-secret', '--grace', '300', '--', id]);
    const after = Math.floor(Date.now() / 1000);

    expect(storedSecretHash(id)).toBe(hashToken(String(rotated.client_secret)));
    const previous = storedPreviousSecret(id);
    expect(previous.hash).toBe(hashToken(old));
    expect(previous.expiresAt).toBeGreaterThanOrEqual(before + 300);
    expect(previous.expiresAt).toBeLessThanOrEqual(after + 300);
    expect(rotated.previous_secret_expires_at).toBe(new Date((previous.expiresAt ?? 0) * 1000).toISOString().replace('.000Z', 'Z'));
    // The JSON never carries a digest.
    expect(JSON.stringify(rotated)).not.toContain(hashToken(old));

    const text = await client(['rotate-secret', '--grace', '60', '--', id]);
    expect(text.stdout).toMatch(/the previous one keeps working until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\./);
  });

  it('without --grace the previous secret stops at once: no previous digest is kept, even after a rotation with a grace', async () => {
    const { id } = await addConfidential();
    await clientJson(['rotate-secret', '--grace', '300', '--', id]);
    const rotated = await clientJson(['rotate-secret', '--', id]);
    expect(rotated.previous_secret_expires_at).toBeNull();
    expect(storedPreviousSecret(id)).toEqual({ hash: null, expiresAt: null });
  });

  it('--grace that is not a whole number of seconds is refused in one sentence naming --grace, changing nothing', async () => {
    const { id, secret } = await addConfidential();
    for (const grace of ['-1', '1.5', 'soon']) {
      expect(expectCleanFailure(await client(['rotate-secret', '--grace', grace, '--', id]))).toContain('--grace');
    }
    expect(storedSecretHash(id)).toBe(hashToken(secret));
  });
});

describe('idp client remove', () => {
  it('without a terminal and without --yes, fails naming --yes and keeps the client', async () => {
    const { id } = await addConfidential();
    expect(expectCleanFailure(await client(['remove', '--', id]))).toContain('--yes');
    expect((await clientJson(['show', '--', id])).client_id).toBe(id);
  });

  it('--yes removes the client', async () => {
    const { id } = await addConfidential();
    expect((await clientJson(['remove', '--yes', '--', id])).client_id).toBe(id);
    expect(storedSecretHash(id)).toBeNull();
    expectCleanFailure(await client(['show', '--', id]));
  });

  it("revokes the client's grants first: its access and refresh tokens are gone, and the count is printed", async () => {
    const { id } = await addConfidential();
    const [first, second] = [await seedGrant(id), await seedGrant(id)];
    const kept = await seedGrant((await addConfidential()).id);

    expect((await clientJson(['remove', '--yes', '--', id])).revoked_grants).toBe(2);

    expect(await tokensLeft(first)).toBe(0);
    expect(await tokensLeft(second)).toBe(0);
    expect(await tokensLeft(kept)).toBe(2);
  });

  it('without --json says how many grants were revoked', async () => {
    const { id } = await addConfidential();
    await seedGrant(id);
    const result = await client(['remove', '--yes', '--', id]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('removed; 1 grant revoked.');
  });
});

describe('commands on an unknown client id', () => {
  const commands = [['show'], ['update', '--name', 'X'], ['remove', '--yes'], ['rotate-secret']];
  for (const args of commands) {
    it(`client ${args[0]} fails in one sentence naming the id`, async () => {
      const sentence = expectCleanFailure(await client([...args, '--', 'no-such-client']));
      expect(sentence).toContain('no-such-client');
    });
  }

  it('a client id starting with "-" is taken as the id by show, not as an option', async () => {
    expect(expectCleanFailure(await client(['show', '-no-such-client']))).toContain('No client has id -no-such-client');
  });
});
