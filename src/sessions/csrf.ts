// CSRF tokens for the login and consent forms: an HMAC of the browser's own cookie and the pending
// request, under a key derived from the server secret. A form posted from another site carries
// neither the cookie (SameSite=Lax) nor a token that matches it.
import { createHmac, hkdfSync } from 'node:crypto';
import { safeEqual } from '../tokens/secret.ts';

export interface Csrf {
  token(browserId: string, purpose: string): string;
  verify(browserId: string, purpose: string, token: string | undefined): boolean;
}

export function createCsrf(serverSecret: Uint8Array): Csrf {
  const key = Buffer.from(hkdfSync('sha256', serverSecret, new Uint8Array(0), 'idp csrf v1', 32));
  const token = (browserId: string, purpose: string) =>
    createHmac('sha256', key).update(`${browserId}\n${purpose}`).digest('base64url');
  return {
    token,
    verify: (browserId, purpose, presented) => typeof presented === 'string' && safeEqual(token(browserId, purpose), presented),
  };
}
