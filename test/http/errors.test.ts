import { describe, expect, it } from 'bun:test';
import { Elysia, t } from 'elysia';
import { errorHandler, OAuthError } from '../../src/http/errors.ts';
import { createLogger } from '../../src/log.ts';

function appWithRoutes(logLines: string[]) {
  return new Elysia()
    .use(errorHandler(createLogger('debug', (line) => logLines.push(line))))
    .get('/oauth', () => {
      throw new OAuthError('invalid_grant', 'code was already used');
    })
    .get('/bug', () => {
      throw new TypeError('cannot read properties of undefined (at secret.ts:12)');
    })
    .get('/typed', ({ query }) => query, { query: t.Object({ n: t.Numeric() }) });
}

describe('error handler (RFC 6749 §5.2)', () => {
  it('renders an OAuthError as its JSON error with its status and no-store', async () => {
    const response = await appWithRoutes([]).handle(new Request('http://127.0.0.1/oauth'));
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: 'code was already used' });
  });

  it('turns an unexpected failure into server_error without leaking its message, and logs the reason', async () => {
    const logLines: string[] = [];
    const response = await appWithRoutes(logLines).handle(new Request('http://127.0.0.1/bug'));
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(JSON.parse(body).error).toBe('server_error');
    expect(body).not.toContain('secret.ts');
    expect(logLines.join('')).toContain('cannot read properties of undefined');
  });

  it('turns a schema violation into invalid_request', async () => {
    const response = await appWithRoutes([]).handle(new Request('http://127.0.0.1/typed?n=abc'));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });
});
