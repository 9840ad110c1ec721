// A browser over fetch for end-to-end tests against a real idp over HTTP: a cookie jar, redirects
// followed by hand through the /login and /consent pages until the provider redirects to the RP.
import { hiddenFields } from './oidc.ts';

export interface SignInOverFetchOptions {
  /** The flow ends at the first redirect whose URL starts with this. */
  redirectUri: string;
  username: string;
  password: string;
  /** The answer on the consent page, when it is shown; `allow` by default. */
  consent?: 'allow' | 'deny';
  /** Per request; 5 s by default. */
  timeoutMs?: number;
}

const MAX_HOPS = 10;

/**
 * Opens `authorizationUrl` in a fresh browser, signs in, answers the consent page (when asked) and
 * returns the URL the provider finally redirects to on `redirectUri`. Failures name the hops seen.
 */
export async function signInOverFetch(authorizationUrl: URL, options: SignInOverFetchOptions): Promise<URL> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const jar = new Map<string, string>();
  let url = authorizationUrl;
  let form: URLSearchParams | null = null;
  const seen: string[] = [];
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    seen.push(`${form ? 'POST' : 'GET'} ${url.pathname}`);
    const headers = new Headers();
    if (jar.size > 0) headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    if (form) headers.set('content-type', 'application/x-www-form-urlencoded');
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      headers,
      body: form?.toString() ?? null,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const pair = cookie.split(';')[0] ?? '';
      const index = pair.indexOf('=');
      if (index > 0) jar.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim());
    }
    form = null;
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      if (next.href.startsWith(options.redirectUri)) return next;
      url = next;
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`${seen.join(' → ')}: HTTP ${response.status}: ${html.slice(0, 300)}`);
    const fields = hiddenFields(html);
    if (url.pathname === '/login') {
      form = new URLSearchParams({ ...fields, username: options.username, password: options.password });
    } else if (url.pathname === '/consent') {
      form = new URLSearchParams({ ...fields, decision: options.consent ?? 'allow' });
    } else {
      throw new Error(`${seen.join(' → ')}: unexpected page ${url.pathname}`);
    }
    url = new URL(url.pathname, url);
  }
  throw new Error(`too many hops: ${seen.join(' → ')}`);
}
