// The adapter's token, code and user code values: used as they are (and stored only as digests), and
// a value outside the contract fails the request with server_error.
import { afterEach, describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import type { Adapter, TokenKind } from '../../src/adapter/types.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizePath,
  browse,
  codeRequestParams,
  hiddenFields,
  obtainCode,
  PASSWORD,
  redeemCode,
  refreshRequest,
  signInForTokens,
  TestBrowser,
  tokenRequest,
  userinfoRequest,
} from '../helpers/oidc.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let app: TestApp;
afterEach(() => app.cleanup());

/** Values like `access_token.0001.` followed by random characters: recognisable, and random enough. */
function countingTokens(kinds: TokenKind[] = []): Adapter {
  let count = 0;
  return {
    generateToken({ kind, client }) {
      kinds.push(kind);
      expect(typeof client.id).toBe('string');
      count += 1;
      return `${kind}.${String(count).padStart(4, '0')}.${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url')}`;
    },
  };
}

/** Every text column of every row, to show no token value is stored in clear. */
function databaseText(): string {
  const db = new Database(join(app.dir, 'idp.db'), { readonly: true });
  try {
    const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    return tables.map(({ name }) => JSON.stringify(db.query(`SELECT * FROM "${name}"`).all())).join('\n');
  } finally {
    db.close();
  }
}

describe('generateToken', () => {
  it('makes the authorization code, the opaque access token and the refresh token; each works and is stored hashed', async () => {
    const kinds: TokenKind[] = [];
    app = await testApp({ adapter: countingTokens(kinds) });
    await addUser(app);
    const rp = await addClient(app);
    const browser = new TestBrowser(app);
    const { tokens, code } = await signInForTokens(app, browser, rp);
    expect(code.code).toStartWith('authorization_code.');
    expect(tokens.access_token).toStartWith('access_token.');
    expect(tokens.refresh_token).toStartWith('refresh_token.');
    expect(kinds).toEqual(['authorization_code', 'access_token', 'refresh_token']);
    expect((await userinfoRequest(app, tokens.access_token)).status).toBe(200);
    const refreshed = (await (await refreshRequest(app, rp, tokens.refresh_token as string)).json()) as { access_token: string };
    expect(refreshed.access_token).toStartWith('access_token.');
    const stored = databaseText();
    for (const value of [code.code, tokens.access_token, tokens.refresh_token as string]) expect(stored).not.toContain(value);
  });

  it('makes the device code', async () => {
    app = await testApp({ adapter: countingTokens() });
    const tv = await addClient(app, { name: 'TV', type: 'public', redirectUris: [], grantTypes: [DEVICE_GRANT] });
    const response = await app.request('/device_authorization', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: tv.client.id }).toString(),
    });
    const body = (await response.json()) as { device_code: string };
    expect(body.device_code).toStartWith('device_code.');
    const poll = await tokenRequest(app, { grant_type: DEVICE_GRANT, device_code: body.device_code, client_id: tv.client.id });
    expect(((await poll.json()) as { error: string }).error).toBe('authorization_pending');
  });

  it('does not make JWT access tokens, which are signed', async () => {
    const kinds: TokenKind[] = [];
    app = await testApp({ adapter: countingTokens(kinds) });
    await addUser(app);
    const rp = await addClient(app, { tokenFormat: 'jwt' });
    const { tokens } = await signInForTokens(app, new TestBrowser(app), rp);
    expect(tokens.access_token.split('.')).toHaveLength(3);
    expect(kinds).not.toContain('access_token');
  });

  for (const [what, value] of [
    ['too short', 'abc'],
    ['not URL-safe', `${'a'.repeat(40)}/+=`],
    ['not a string', 42],
  ] as const) {
    it(`a value that is ${what} fails the token request with server_error`, async () => {
      let calls = 0;
      app = await testApp({
        adapter: {
          // The code is fine; the access token is not.
          generateToken: () => (++calls === 1 ? 'c'.repeat(43) : (value as string)),
        },
      });
      await addUser(app);
      const rp = await addClient(app);
      const code = await obtainCode(new TestBrowser(app), rp.client.id);
      expect(code.code).toBe('c'.repeat(43));
      const response = await redeemCode(app, rp, code.code, code.verifier);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: 'server_error', error_description: 'The server could not complete the request.' });
      expect(app.logLines.join('')).toContain("The adapter's generateToken() must return 32 to 512 characters");
    });
  }

  it('a bad authorization code value shows the error page at /authorize', async () => {
    app = await testApp({ adapter: { generateToken: () => 'short' } });
    await addUser(app);
    const rp = await addClient(app, { skipConsent: true });
    const browser = new TestBrowser(app);
    const { response } = await browse(browser, authorizePath(codeRequestParams(rp.client.id).params));
    const login = await browser.post('/login', { ...hiddenFields(await response.text()), username: 'alice', password: PASSWORD });
    const after = await browse(browser, login.headers.get('location') as string);
    expect(after.response.status).toBe(500);
    expect(after.response.headers.get('content-type')).toContain('text/html');
    expect(await after.response.text()).not.toContain('generateToken');
  });
});

describe('generateUserCode', () => {
  async function deviceApp(adapter: Adapter) {
    app = await testApp({ adapter });
    await addUser(app);
    const tv = await addClient(app, { name: 'TV', type: 'public', redirectUris: [], grantTypes: [DEVICE_GRANT] });
    const start = () =>
      app.request('/device_authorization', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: tv.client.id, scope: 'openid' }).toString(),
      });
    return { tv, start };
  }

  it('is the user code (normalised, then shown grouped) that the person types, in any case and with or without dashes', async () => {
    let next = 0;
    const codes = ['ab-12 cd', '7K3Q9Z2M4X'];
    const { tv, start } = await deviceApp({ generateUserCode: () => codes[next++] as string });
    const first = (await (await start()).json()) as { user_code: string; device_code: string; verification_uri_complete: string };
    expect(first.user_code).toBe('AB1-2CD');
    expect(first.verification_uri_complete).toEndWith('?user_code=AB1-2CD');
    const second = (await (await start()).json()) as { user_code: string };
    expect(second.user_code).toBe('7K3Q-9Z2M-4X');

    const browser = new TestBrowser(app);
    const page = await browser.get('/device');
    const confirm = await browser.post('/device', { ...hiddenFields(await page.text()), username: 'alice', password: PASSWORD, user_code: 'ab12cd' });
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(html).toContain('AB1-2CD');
    expect((await browser.post('/device', { ...hiddenFields(html), decision: 'allow' })).status).toBe(200);
    const poll = await tokenRequest(app, { grant_type: DEVICE_GRANT, device_code: first.device_code, client_id: tv.client.id });
    expect(poll.status).toBe(200);
  });

  for (const bad of ['ABC', 'ÄÖÜ-ÄÖÜ', 'X'.repeat(33)]) {
    it(`${JSON.stringify(bad)} is refused: /device_authorization answers server_error JSON`, async () => {
      const { start } = await deviceApp({ generateUserCode: () => bad });
      const response = await start();
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text).error).toBe('server_error');
      expect(text).not.toContain(bad);
      expect(app.logLines.join('')).toContain("The adapter's generateUserCode() must return 6 to 32 letters or digits");
    });
  }
});
