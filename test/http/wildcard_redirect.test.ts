// Wildcard redirect URIs at /authorize and /token for a client registered with --allow-wildcards.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { testApp, type TestApp } from '../helpers/app.ts';
import { addClient, addUser, authorizeInBrowser, authorizePath, basicAuth, location, pkcePair, TestBrowser, tokenRequest } from '../helpers/oidc.ts';

const PATTERN = 'https://myapp-*.vercel.app/callback';
const PREVIEW = 'https://myapp-git-feature-x.vercel.app/callback';

let app: TestApp;
beforeEach(async () => {
  app = await testApp();
  await addUser(app);
});
afterEach(() => app.cleanup());

function params(clientId: string, redirectUri: string, challenge: string): Record<string, string> {
  return { client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256' };
}

describe('wildcard redirect URIs', () => {
  it('a preview deployment URL matching the pattern gets a code, redeemable with that same URL', async () => {
    const { client, secret } = await addClient(app, { allowWildcards: true, redirectUris: [PATTERN], skipConsent: true });
    const pkce = pkcePair();
    const callback = await authorizeInBrowser(new TestBrowser(app), params(client.id, PREVIEW, pkce.challenge));
    expect(callback.origin + callback.pathname).toBe(PREVIEW);
    const code = callback.searchParams.get('code') as string;
    const response = await tokenRequest(
      app,
      { grant_type: 'authorization_code', code, redirect_uri: PREVIEW, code_verifier: pkce.verifier },
      basicAuth(client.id, secret as string),
    );
    expect(response.status).toBe(200);
  });

  it('the code is bound to the exact URL used: another URL matching the same pattern is invalid_grant', async () => {
    const { client, secret } = await addClient(app, { allowWildcards: true, redirectUris: [PATTERN], skipConsent: true });
    const pkce = pkcePair();
    const callback = await authorizeInBrowser(new TestBrowser(app), params(client.id, PREVIEW, pkce.challenge));
    const response = await tokenRequest(
      app,
      { grant_type: 'authorization_code', code: callback.searchParams.get('code') as string, redirect_uri: 'https://myapp-other.vercel.app/callback', code_verifier: pkce.verifier },
      basicAuth(client.id, secret as string),
    );
    expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
  });

  for (const attack of ['https://myapp-a.b.vercel.app/callback', 'https://evil.com/callback?x=.vercel.app', 'https://myapp-x.vercel.app.evil.com/callback']) {
    it(`an attacker URL ${attack} gets the error page, never a redirect`, async () => {
      const { client } = await addClient(app, { allowWildcards: true, redirectUris: [PATTERN] });
      const response = await new TestBrowser(app).get(authorizePath(params(client.id, attack, pkcePair().challenge)));
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    });
  }

  it('a client that lost --allow-wildcards no longer matches its patterns', async () => {
    const { client } = await addClient(app, { allowWildcards: true, redirectUris: [PATTERN, 'https://rp.example.test/callback'] });
    client.metadata.allow_wildcards = false;
    await app.store.clients.updateClient(client);
    const response = await new TestBrowser(app).get(authorizePath(params(client.id, PREVIEW, pkcePair().challenge)));
    expect(response.status).toBe(400);
    expect(() => location(response)).toThrow();
  });
});
