// The browser side of a request: its binding cookie, its sign-in session, and the cookies to set.
// Session ids are random, stored only as digests, and replaced at every sign-in (no fixation).
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import type { SessionRecord, UserRecord } from '../store/store.ts';
import { hashToken, randomToken } from '../tokens/secret.ts';
import { clearCookie, cookieName, parseCookies, serializeCookie } from './cookies.ts';

export interface SignedIn {
  session: SessionRecord;
  user: UserRecord;
}

export class Browser {
  /** Set-Cookie values to send with the response. */
  readonly setCookies: string[] = [];
  private readonly cookies: Map<string, string>;
  private readonly secure: boolean;
  private signedIn: SignedIn | null | undefined;

  constructor(
    private readonly deps: Pick<Deps, 'config' | 'store' | 'clock'>,
    request: Request,
  ) {
    this.cookies = parseCookies(request.headers.get('cookie'));
    this.secure = deps.config.issuer.startsWith('https:');
  }

  private name(base: 'idp_session' | 'idp_browser'): string {
    return cookieName(base, this.secure);
  }

  /** The id binding pending requests and CSRF tokens to this browser, minted on first use. */
  browserId(): string {
    let id = this.cookies.get(this.name('idp_browser'));
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) {
      id = randomToken();
      this.cookies.set(this.name('idp_browser'), id);
      this.setCookies.push(serializeCookie(this.name('idp_browser'), id, { maxAge: this.deps.config.session_ttl, secure: this.secure }));
    }
    return id;
  }

  /** The existing browser id, without minting one (a POST must come from a browser we saw). */
  existingBrowserId(): string | null {
    return this.cookies.get(this.name('idp_browser')) ?? null;
  }

  /** The live session and its user; null when absent, expired, or the user is gone or disabled. */
  async session(): Promise<SignedIn | null> {
    if (this.signedIn !== undefined) return this.signedIn;
    this.signedIn = null;
    const id = this.cookies.get(this.name('idp_session'));
    if (!id) return null;
    const session = await this.deps.store.sessions.findSession(hashToken(id), epochSeconds(this.deps.clock));
    if (!session) return null;
    const user = await this.deps.store.users.getUser(session.userId);
    if (!user || user.disabled) return null;
    this.signedIn = { session, user };
    return this.signedIn;
  }

  /** Starts a new session for `user`, ending the one this browser had. */
  async signIn(user: UserRecord, amr: string[]): Promise<SignedIn> {
    const previous = this.cookies.get(this.name('idp_session'));
    if (previous) await this.deps.store.sessions.deleteSession(hashToken(previous));
    const now = epochSeconds(this.deps.clock);
    const id = randomToken();
    const session: SessionRecord = {
      idHash: hashToken(id),
      sid: randomToken(16),
      userId: user.id,
      authTime: now,
      amr,
      createdAt: now,
      expiresAt: now + this.deps.config.session_ttl,
    };
    await this.deps.store.sessions.insertSession(session);
    this.setCookies.push(serializeCookie(this.name('idp_session'), id, { maxAge: this.deps.config.session_ttl, secure: this.secure }));
    this.signedIn = { session, user };
    return this.signedIn;
  }

  /** Ends this browser's session: deleted server-side, and its cookie cleared (Max-Age=0). */
  async signOut(): Promise<void> {
    const name = this.name('idp_session');
    const id = this.cookies.get(name);
    if (id) {
      await this.deps.store.sessions.deleteSession(hashToken(id));
      this.cookies.delete(name);
      this.setCookies.push(clearCookie(name, this.secure));
    }
    this.signedIn = null;
  }
}
