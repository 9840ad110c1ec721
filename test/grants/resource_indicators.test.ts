// RFC 8707 resource indicators at the token endpoint: the JWT access token's audience is the
// requested resource, which must be one of the client's configured audiences (--audience).
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { decodeJwt } from 'jose';
import { testApp, type TestApp } from '../helpers/app.ts';
import { addClient, addUser, basicAuth, obtainCode, redeemCode, TestBrowser, tokenRequest } from '../helpers/oidc.ts';

const API = 'https://api.example.test';
const REPORTS = 'https://reports.example.test';

let app: TestApp;
let authorization: string;
beforeEach(async () => {
  app = await testApp();
  const { client, secret } = await addClient(app, {
    name: 'Job',
    redirectUris: [],
    grantTypes: ['client_credentials'],
    tokenFormat: 'jwt',
    audiences: [API, REPORTS],
  });
  authorization = basicAuth(client.id, secret as string);
});
afterEach(() => app.cleanup());

async function token(form: Record<string, string>): Promise<Record<string, unknown>> {
  return (await (await tokenRequest(app, { grant_type: 'client_credentials', ...form }, authorization)).json()) as Record<string, unknown>;
}

describe('resource indicators (RFC 8707)', () => {
  it('§2.2: a requested resource becomes the only audience of the JWT access token', async () => {
    const { access_token } = (await token({ resource: REPORTS })) as { access_token: string };
    expect(decodeJwt(access_token).aud).toBe(REPORTS);
  });

  it('without a resource the audience is every configured audience', async () => {
    const { access_token } = (await token({})) as { access_token: string };
    expect(decodeJwt(access_token).aud).toEqual([API, REPORTS]);
  });

  it('§2: a resource that is not a configured audience is invalid_target', async () => {
    const body = await token({ resource: 'https://elsewhere.example.test' });
    expect(body.error).toBe('invalid_target');
  });

  it('a repeated resource is refused (one audience per token here) as invalid_request', async () => {
    const response = await app.request('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
      body: `grant_type=client_credentials&resource=${encodeURIComponent(API)}&resource=${encodeURIComponent(REPORTS)}`,
    });
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });
});

describe('resource indicators with the authorization code grant', () => {
  it('a bad resource is refused before the code is used, so the code still redeems', async () => {
    await addUser(app);
    const registered = await addClient(app, { tokenFormat: 'jwt', audiences: [API], skipConsent: true });
    const { code, verifier } = await obtainCode(new TestBrowser(app), registered.client.id);
    const refused = await redeemCode(app, registered, code, verifier, { resource: REPORTS });
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_target');
    const redeemed = await redeemCode(app, registered, code, verifier, { resource: API });
    expect(redeemed.status).toBe(200);
    const { access_token } = (await redeemed.json()) as { access_token: string };
    expect(decodeJwt(access_token).aud).toBe(API);
  });
});
