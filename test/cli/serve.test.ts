// `idp serve` on 127.0.0.1: initialises an empty data dir, serves discovery and JWKS, picks up keys
// rotated by another process within key_reload_interval, exits 0 on SIGTERM, reports a busy port.
import { beforeAll, describe, expect, it } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  asRecord,
  asStringArray,
  eventually,
  expectCleanFailure,
  fetchJson,
  fetchJwks,
  rotateKey,
  runIdp,
  type RunningServer,
  serveArgs,
  useSandbox,
  waitForPublishedKid,
} from '../helpers/cli.ts';

const sandbox = useSandbox();

// The running server reloads its keys every second, so a rotation shows within ~1 s.
const RELOAD = { IDP_KEY_RELOAD_INTERVAL: '1' };

async function publishedKids(server: RunningServer): Promise<unknown[]> {
  return (await fetchJwks(`${server.url}/jwks`)).map((key) => key.kid);
}

async function signingAlgs(server: RunningServer): Promise<string[]> {
  const metadata = asRecord(await fetchJson(`${server.url}/.well-known/openid-configuration`));
  return asStringArray(metadata.id_token_signing_alg_values_supported);
}

describe('idp serve on an empty data dir', () => {
  let dataDir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dataDir = await sandbox.dataDir();
    server = await sandbox.serve(dataDir, { env: RELOAD });
  });

  it('initialises the data dir first and says so', () => {
    expect(`${server.stdout()}\n${server.stderr()}`).toContain('initialised');
    for (const file of ['idp.toml', 'idp.db', 'secret']) expect(existsSync(join(dataDir, file))).toBe(true);
  });

  it('serves /.well-known/openid-configuration and /jwks on 127.0.0.1', async () => {
    const metadata = asRecord(await fetchJson(`${server.url}/.well-known/openid-configuration`));
    expect(typeof metadata.issuer).toBe('string');
    expect(metadata.jwks_uri).toBe(`${String(metadata.issuer)}/jwks`);
    expect(asStringArray(metadata.id_token_signing_alg_values_supported)).toEqual(['RS256']);
    expect(await publishedKids(server)).toHaveLength(1);
  });

  it('publishes a key rotated by another process within key_reload_interval', async () => {
    const before = await publishedKids(server);
    const rotated = await rotateKey(dataDir, ['--now']);
    const after = await waitForPublishedKid(`${server.url}/jwks`, rotated.kid);
    // Old keys stay published until retired.
    expect(after).toEqual(expect.arrayContaining([...before, rotated.kid]));
  });

  it('lists a newly rotated-in algorithm in id_token_signing_alg_values_supported', async () => {
    expect(await signingAlgs(server)).not.toContain('EdDSA');
    const rotated = await rotateKey(dataDir, ['--alg', 'EdDSA', '--now']);
    const algs = await eventually('EdDSA in discovery', async () => {
      const current = await signingAlgs(server);
      return current.includes('EdDSA') ? current : undefined;
    });
    expect(algs).toEqual(['RS256', 'EdDSA']);
    expect(await publishedKids(server)).toContain(rotated.kid);
  });
});

describe('idp serve lifecycle', () => {
  it('exits 0 on SIGTERM after serving requests', async () => {
    const server = await sandbox.serve(await sandbox.initDataDir());
    await fetchJson(`${server.url}/jwks`);
    expect(await server.stop()).toBe(0);
  });

  it('a second server on a port in use fails with one sentence naming the port', async () => {
    const dataDir = await sandbox.initDataDir();
    const first = await sandbox.serve(dataDir);
    // A hang here would mean the second server shares the port (SO_REUSEPORT) instead of failing.
    const second = await runIdp(serveArgs(dataDir, first.port), { timeoutMs: 10_000 });
    const sentence = expectCleanFailure(second);
    expect(sentence).toContain(String(first.port));
    expect(sentence).toContain('in use');
    // The first server still answers.
    expect(await publishedKids(first)).toHaveLength(1);
  });
});
