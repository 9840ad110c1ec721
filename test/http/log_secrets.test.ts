// No secret ever reaches the log. A full run at log_level=debug, in both log formats: sign-in with a
// password (a wrong one first), consent, code exchange with client_secret_basic and _post, form_post,
// refresh, userinfo, introspection, revocation, and the device flow. Then no log line may hold a
// password, client secret, code, access, refresh or ID token, device or user code, CSRF token,
// pending sign-in id or session cookie. Query strings and bodies are never logged; neither are
// Location headers (which carry codes).
import { afterEach, describe, expect, it } from 'bun:test';
import { normalizeUserCode } from '../../src/device/user_code.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizePath,
  basicAuth,
  codeRequestParams,
  hiddenFields,
  PASSWORD,
  type RegisteredClient,
  REDIRECT_URI,
  TestBrowser,
  type TokenJson,
} from '../helpers/oidc.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const WRONG_PASSWORD = 'wrong-password-Zq8!xK2p';

let app: TestApp;
afterEach(() => app.cleanup());

/** A browser that remembers every hidden form value and every Location it was sent. */
class RecordingBrowser extends TestBrowser {
  constructor(
    on: TestApp,
    private readonly secrets: Set<string>,
  ) {
    super(on);
  }

  override async request(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await super.request(path, init);
    const location = response.headers.get('location');
    if (location) {
      const url = new URL(location, 'https://id.example.test');
      for (const name of ['code', 'interaction', 'access_token', 'id_token']) {
        const value = url.searchParams.get(name) ?? new URLSearchParams(url.hash.slice(1)).get(name);
        if (value) this.secrets.add(value);
      }
    }
    if ((response.headers.get('content-type') ?? '').includes('text/html')) {
      const fields = hiddenFields(await response.clone().text());
      for (const name of ['csrf', 'code', 'interaction']) if (fields[name]) this.secrets.add(fields[name] as string);
    }
    for (const value of this.cookies.values()) this.secrets.add(value);
    return response;
  }
}

function post(path: string, form: Record<string, string>, authorization?: string): Promise<Response> {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(form).toString(),
  });
}

async function json<T>(response: Response, status = 200): Promise<T> {
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** Drives one authorization through login (a wrong password first, when asked) and consent; returns the code. */
async function authorize(browser: RecordingBrowser, client: RegisteredClient, extra: Record<string, string> = {}): Promise<{ code: string; verifier: string }> {
  const { params, verifier } = codeRequestParams(client.client.id, extra);
  let response = await browser.get(authorizePath(params));
  for (let step = 0; step < 8; step++) {
    if (response.status === 200 && extra.response_mode === 'form_post') {
      const fields = hiddenFields(await response.text());
      return { code: fields.code as string, verifier };
    }
    const target = response.headers.get('location') as string;
    if (!target.startsWith('/')) return { code: new URL(target).searchParams.get('code') as string, verifier };
    response = await browser.get(target);
    if (response.status !== 200) continue;
    const fields = hiddenFields(await response.clone().text());
    if (target.startsWith('/login')) {
      const failed = await browser.post('/login', { ...fields, username: 'alice', password: WRONG_PASSWORD });
      expect(failed.status).toBe(401);
      response = await browser.post('/login', { ...hiddenFields(await failed.text()), username: 'alice', password: PASSWORD });
    } else if (target.startsWith('/consent')) {
      response = await browser.post('/consent', { ...fields, decision: 'allow' });
    } else if (!(response.headers.get('content-type') ?? '').includes('text/html')) {
      throw new Error(`unexpected ${target}`);
    }
  }
  throw new Error('too many steps');
}

async function fullRun(logFormat: 'pretty' | 'json'): Promise<Set<string>> {
  app = await testApp({ logFormat, settings: { log_level: 'debug' } });
  const secrets = new Set<string>([PASSWORD, WRONG_PASSWORD]);
  await addUser(app);
  const basic = await addClient(app, { name: 'Basic RP' });
  const posted = await addClient(app, { name: 'Post RP', authMethod: 'client_secret_post' });
  const tv = await addClient(app, { name: 'TV', type: 'public', redirectUris: [], grantTypes: [DEVICE_GRANT, 'refresh_token'] });
  for (const client of [basic, posted]) secrets.add(client.secret as string);
  const keep = (tokens: TokenJson) => {
    for (const value of [tokens.access_token, tokens.refresh_token, tokens.id_token]) if (value) secrets.add(value);
    return tokens;
  };
  const basicAuthOf = basicAuth(basic.client.id, basic.secret as string);
  const postAuth = { client_id: posted.client.id, client_secret: posted.secret as string };

  // client_secret_basic: code, tokens, refresh, userinfo, introspection, revocation.
  const browser = new RecordingBrowser(app, secrets);
  const first = await authorize(browser, basic);
  secrets.add(first.code).add(first.verifier);
  const tokens = keep(
    await json<TokenJson>(await post('/token', { grant_type: 'authorization_code', code: first.code, redirect_uri: REDIRECT_URI, code_verifier: first.verifier }, basicAuthOf)),
  );
  const refreshed = keep(await json<TokenJson>(await post('/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string }, basicAuthOf)));
  expect((await app.request('/userinfo', { headers: { authorization: `Bearer ${refreshed.access_token}` } })).status).toBe(200);
  expect((await json<{ active: boolean }>(await post('/introspect', { token: refreshed.access_token }, basicAuthOf))).active).toBe(true);
  expect((await post('/revoke', { token: refreshed.refresh_token as string }, basicAuthOf)).status).toBe(200);
  // A replayed code is refused (and revokes what it issued).
  expect((await post('/token', { grant_type: 'authorization_code', code: first.code, redirect_uri: REDIRECT_URI, code_verifier: first.verifier }, basicAuthOf)).status).toBe(400);

  // client_secret_post, with form_post: the code travels in a page body.
  const second = await authorize(browser, posted, { response_mode: 'form_post' });
  secrets.add(second.code).add(second.verifier);
  const postTokens = keep(
    await json<TokenJson>(
      await post('/token', { grant_type: 'authorization_code', code: second.code, redirect_uri: REDIRECT_URI, code_verifier: second.verifier, ...postAuth }),
    ),
  );
  keep(await json<TokenJson>(await post('/token', { grant_type: 'refresh_token', refresh_token: postTokens.refresh_token as string, ...postAuth })));
  await json<{ active: boolean }>(await post('/introspect', { token: postTokens.access_token, ...postAuth }));
  expect((await post('/revoke', { token: postTokens.access_token, token_type_hint: 'access_token', ...postAuth })).status).toBe(200);
  // A wrong secret is refused.
  expect((await post('/token', { grant_type: 'refresh_token', refresh_token: 'x', client_id: posted.client.id, client_secret: 'not-the-secret-Yh7' })).status).toBe(401);
  secrets.add('not-the-secret-Yh7');

  // The device flow: a public client asks, a person signs in on /device and allows, the device polls.
  const device = await json<{ device_code: string; user_code: string }>(await post('/device_authorization', { client_id: tv.client.id, scope: 'openid offline_access' }));
  secrets.add(device.device_code).add(device.user_code).add(normalizeUserCode(device.user_code) as string);
  expect((await post('/token', { grant_type: DEVICE_GRANT, device_code: device.device_code, client_id: tv.client.id })).status).toBe(400);
  const person = new RecordingBrowser(app, secrets);
  const signIn = await person.get(`/device?user_code=${encodeURIComponent(device.user_code)}`);
  const confirm = await person.post('/device', { ...hiddenFields(await signIn.text()), username: 'alice', password: PASSWORD, user_code: device.user_code });
  expect(confirm.status).toBe(200);
  expect((await person.post('/device', { ...hiddenFields(await confirm.text()), decision: 'allow' })).status).toBe(200);
  app.clock.advance(10);
  keep(await json<TokenJson>(await post('/token', { grant_type: DEVICE_GRANT, device_code: device.device_code, client_id: tv.client.id })));

  await Bun.sleep(30);
  return secrets;
}

describe('secrets never reach the log (log_level=debug)', () => {
  for (const logFormat of ['pretty', 'json'] as const) {
    it(`${logFormat}: no password, client secret, code, token, device or user code, CSRF token, sign-in id or cookie in any line`, async () => {
      const secrets = await fullRun(logFormat);
      // The run was logged: a request line for each kind of endpoint, ids and all.
      const log = app.logLines.join('');
      for (const path of ['/authorize', '/login', '/consent', '/token', '/userinfo', '/introspect', '/revoke', '/device_authorization', '/device']) {
        expect(log).toContain(logFormat === 'json' ? `"path":"${path}"` : ` path=${path} `);
      }
      if (logFormat === 'json') for (const line of app.logLines) expect(() => JSON.parse(line)).not.toThrow();
      const tokens = [...secrets].filter((secret) => secret.length >= 8);
      expect(tokens.length).toBeGreaterThan(25);
      const leaks = tokens.filter((secret) => log.includes(secret));
      expect(leaks).toEqual([]);
      // Nor the parameters that carry them.
      for (const name of ['code=', 'password', 'client_secret', 'refresh_token=', 'device_code=', 'Bearer ', 'Basic ']) {
        expect({ name, logged: log.includes(name) }).toEqual({ name, logged: false });
      }
    });
  }
});
