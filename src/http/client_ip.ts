// The address a request came from. Behind a reverse proxy the socket peer is the proxy, so with
// trust_proxy on, the last X-Forwarded-For entry (the one our proxy appended) is the client; entries
// before it were written by the client itself and are never believed.
import type { Config } from '../config/schema.ts';

/** The part of Bun's server that knows a request's peer address (Elysia's `server`; null under app.handle()). */
export interface PeerAddress {
  requestIP(request: Request): { address: string } | null;
}

export function clientIp(config: Pick<Config, 'trust_proxy'>, server: PeerAddress | null | undefined, request: Request): string | null {
  if (config.trust_proxy) {
    const forwarded = request.headers.get('x-forwarded-for');
    const last = forwarded?.split(',').at(-1)?.trim();
    if (last) return last.slice(0, 64);
  }
  return peerAddress(server, request);
}

/** The socket peer's address (a proxy's, behind one); null when unknown, as under app.handle(). */
export function peerAddress(server: PeerAddress | null | undefined, request: Request): string | null {
  try {
    return server?.requestIP(request)?.address ?? null;
  } catch {
    return null;
  }
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === '::1';
}
