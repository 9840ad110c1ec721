// The compiled binary loads an adapter from disk: examples/adapter/idp.adapter.ts, named by a
// relative `adapter` in the data dir's idp.toml, customises real tokens (claims from user attributes,
// a group-gated client, a shorter lifetime for one client) in a code flow and client_credentials over
// HTTP. A broken adapter stops `idp serve` with one sentence naming the file.
import { beforeAll, describe, expect, it } from 'bun:test';
import { appendFileSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import {
  asRecord,
  buildBinary,
  expectCleanFailure,
  expectJson,
  freePort,
  REPO_ROOT,
  type RunningServer,
  runCommand,
  type RunOptions,
  serveArgs,
  useSandbox,
} from '../helpers/cli.ts';
import { signInOverFetch } from '../helpers/fetch_browser.ts';
import { basicAuth } from '../helpers/oidc.ts';

const sandbox = useSandbox();
const REDIRECT_URI = 'http://127.0.0.1/callback';
const PASSWORD = 'correct horse battery staple';
const TIMEOUT_MS = 5_000;

let workDir: string;
let binary: string;

const runBinary = (args: string[], options: RunOptions = {}) => runCommand([binary, ...args], { cwd: workDir, ...options });

beforeAll(async () => {
  workDir = await sandbox.tempDir();
  binary = await buildBinary(workDir);
});

describe('the binary with the example adapter', () => {
  const dataDir = 'data';
  let issuer: string;
  let server: RunningServer;
  let adminConsole: { id: string; secret: string };
  let reportsJob: { id: string; secret: string };

  const addClient = async (args: string[]) => {
    const created = asRecord(expectJson(await runBinary(['client', 'add', '--json', '--data-dir', dataDir, ...args])));
    return { id: String(created.client_id), secret: String(created.client_secret) };
  };
  const addUser = async (username: string, attributes: string[]) =>
    expectJson(
      await runBinary(['user', 'add', '--json', '--data-dir', dataDir, '--username', username, '--password-stdin', '--email', `${username}@example.test`, ...attributes.flatMap((attr) => ['--attr', attr])], {
        stdin: `${PASSWORD}\n`,
      }),
    );

  beforeAll(async () => {
    const port = freePort();
    issuer = `http://127.0.0.1:${port}`;
    expectJson(await runBinary(['init', '--yes', '--json', '--issuer', issuer, '--data-dir', dataDir]));
    // Relative to the config file, not to the working directory (workDir).
    copyFileSync(join(REPO_ROOT, 'examples/adapter/idp.adapter.ts'), join(workDir, dataDir, 'idp.adapter.ts'));
    appendFileSync(join(workDir, dataDir, 'idp.toml'), '\nadapter = "./idp.adapter.ts"\n');
    await addUser('alice', ['groups=admins,staff', 'team=platform']);
    await addUser('bob', ['groups=staff,']);
    adminConsole = await addClient(['--name', 'Admin Console', '--redirect-uri', REDIRECT_URI, '--token-format', 'jwt']);
    reportsJob = await addClient(['--name', 'Reports job', '--grant-type', 'client_credentials']);
    server = await sandbox.spawnServer([binary, ...serveArgs(dataDir, port, ['--issuer', issuer])], { cwd: workDir });
  });

  async function authorize(username: string) {
    const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
    const url = new URL(`${issuer}/authorize`);
    url.search = new URLSearchParams({
      client_id: adminConsole.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid profile email',
      state: 'st',
      nonce: 'nc',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    return { callback: await signInOverFetch(url, { redirectUri: REDIRECT_URI, username, password: PASSWORD, timeoutMs: TIMEOUT_MS }), verifier };
  }

  async function token(client: { id: string; secret: string }, form: Record<string, string>) {
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.id, client.secret) },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return { status: response.status, body: asRecord(await response.json()) };
  }

  it('logs that the adapter was loaded, with its hooks', () => {
    expect(server.stderr()).toMatch(/adapter loaded .*idp\.adapter\.ts.*authorize/);
  });

  it('a group member gets tokens with the attribute-derived claims the adapter adds', async () => {
    const { callback, verifier } = await authorize('alice');
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();
    const { status, body } = await token(adminConsole, { grant_type: 'authorization_code', code: code as string, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    expect(status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    const idToken = (await jwtVerify(String(body.id_token), jwks, { issuer, audience: adminConsole.id })).payload;
    expect(idToken).toMatchObject({ groups: ['admins', 'staff'], team: 'platform', email: 'alice@example.test', nonce: 'nc' });
    const access = (await jwtVerify(String(body.access_token), jwks, { issuer })).payload;
    expect(access.groups).toEqual(['admins', 'staff']);
    // This client keeps access_token_ttl.
    expect(body.expires_in).toBe(3600);
    expect((access.exp as number) - (access.iat as number)).toBe(3600);
  });

  it('a user outside the group is sent back with access_denied and the adapter\'s reason', async () => {
    const { callback } = await authorize('bob');
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('error_description')).toBe('Only members of admins may use Admin Console.');
    expect(callback.searchParams.get('state')).toBe('st');
    expect(callback.searchParams.has('code')).toBe(false);
  });

  it('the Reports job client gets 5-minute access tokens from client_credentials', async () => {
    const { status, body } = await token(reportsJob, { grant_type: 'client_credentials' });
    expect(status).toBe(200);
    expect(body.expires_in).toBe(300);
  });

  it('onEvent sees the events (the example writes them to stderr)', () => {
    const stderr = server.stderr();
    expect(stderr).toContain('adapter event login.succeeded');
    expect(stderr).toContain('adapter event authorization.denied');
  });

  it('exits 0 on SIGTERM', async () => {
    expect(await server.stop()).toBe(0);
  });
});

describe('the binary with a broken adapter', () => {
  it('a syntax error stops serve with one sentence naming the file, no stack trace', async () => {
    const dataDir = join(await sandbox.tempDir(), 'data');
    expectJson(await runBinary(['init', '--yes', '--json', '--data-dir', dataDir]));
    const broken = join(workDir, 'broken.adapter.ts');
    writeFileSync(broken, 'export default {\n  claims( { return {}; }\n};\n');
    const result = await runBinary(serveArgs(dataDir, 0), { env: { IDP_ADAPTER: broken }, timeoutMs: 15_000 });
    const sentence = expectCleanFailure(result);
    expect(sentence).toStartWith('idp: The adapter ');
    expect(sentence).toContain(broken);
    expect(result.stdout).not.toContain('listening');
  });

  it('a missing adapter file named relative to the config file stops serve too', async () => {
    const dataDir = join(await sandbox.tempDir(), 'data');
    expectJson(await runBinary(['init', '--yes', '--json', '--data-dir', dataDir]));
    appendFileSync(join(dataDir, 'idp.toml'), '\nadapter = "./missing.adapter.ts"\n');
    const sentence = expectCleanFailure(await runBinary(serveArgs(dataDir, 0), { timeoutMs: 15_000 }));
    expect(sentence).toContain(join(dataDir, 'missing.adapter.ts'));
    expect(sentence).toContain('does not exist');
  });
});
