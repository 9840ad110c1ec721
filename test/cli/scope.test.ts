// `idp scope`: add, list and remove with --json; one sentence for every mistake; a scope a client is
// allowed cannot be removed; clients may be allowed a custom scope; discovery export lists it.
import { beforeAll, describe, expect, it } from 'bun:test';
import { asRecord, asStringArray, expectCleanFailure, expectJson, runIdp, useSandbox } from '../helpers/cli.ts';

const sandbox = useSandbox();

let dataDir: string;
beforeAll(async () => {
  dataDir = await sandbox.initDataDir();
});

const idp = (args: string[]) => runIdp(['--data-dir', dataDir, ...args]);
const scope = (args: string[]) => idp(['scope', ...args]);

describe('idp scope', () => {
  it('adds, lists and removes a custom scope with --json', async () => {
    const added = asRecord(expectJson(await scope(['add', 'billing:read', '--description', 'Read your invoices', '--claim', 'email', '--claim', 'name', '--json'])));
    expect(added).toMatchObject({ name: 'billing:read', description: 'Read your invoices', claims: ['email', 'name'] });
    expect(typeof added.created_at).toBe('string');

    const listed = expectJson(await scope(['list', '--json'])) as Record<string, unknown>[];
    expect(listed.map((item) => item.name)).toContain('billing:read');
    const text = await scope(['list']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain('Read your invoices');

    const removed = asRecord(expectJson(await scope(['remove', 'billing:read', '--json'])));
    expect(removed.name).toBe('billing:read');
    const after = expectJson(await scope(['list', '--json'])) as Record<string, unknown>[];
    expect(after.map((item) => item.name)).not.toContain('billing:read');
  });

  it('refuses a bad name, a standard name, a duplicate and an unknown claim in one sentence', async () => {
    expect(expectCleanFailure(await scope(['add', 'has space']))).toContain('1 to 64');
    expect(expectCleanFailure(await scope(['add', 'x'.repeat(65)]))).toContain('1 to 64');
    expect(expectCleanFailure(await scope(['add', 'openid']))).toContain('standard scope');
    expect((await scope(['add', 'dup', '--json'])).exitCode).toBe(0);
    expect(expectCleanFailure(await scope(['add', 'dup']))).toContain('exists');
    expect(expectCleanFailure(await scope(['add', 'hr', '--claim', 'sal ary']))).toContain('neither a profile or email claim');
    expect(expectCleanFailure(await scope(['remove', 'never-added']))).toContain('No custom scope');
  });

  it('--claim may name a user attribute, or CLAIM=ATTRIBUTE; list shows the mapping', async () => {
    const added = asRecord(expectJson(await scope(['add', 'org', '--claim', 'team', '--claim', 'roles=groups', '--claim', 'email', '--json'])));
    expect(added).toMatchObject({ name: 'org', claims: ['team', 'roles=groups', 'email'], attribute_claims: { team: 'team', roles: 'groups' } });
    const text = await scope(['list']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain('team (attribute team), roles (attribute groups), email');
    const discovery = asRecord(expectJson(await idp(['discovery', 'export'])));
    expect(asStringArray(discovery.claims_supported)).toEqual(expect.arrayContaining(['team', 'roles']));
  });

  it('refuses protected claims, a standard claim as a mapping target and a half-empty mapping, in one sentence', async () => {
    expect(expectCleanFailure(await scope(['add', 'p1', '--claim', 'sub']))).toContain('idp sets itself');
    expect(expectCleanFailure(await scope(['add', 'p2', '--claim', 'aud=groups']))).toContain('idp sets itself');
    expect(expectCleanFailure(await scope(['add', 'p3', '--claim', 'email=work_email']))).toContain('profile or email claim');
    expect(expectCleanFailure(await scope(['add', 'p4', '--claim', 'roles=']))).toContain('attribute name');
    const listed = expectJson(await scope(['list', '--json'])) as Record<string, unknown>[];
    for (const name of ['p1', 'p2', 'p3', 'p4']) expect(listed.map((item) => item.name)).not.toContain(name);
  });

  it('a client may be allowed a custom scope; removing the scope is refused while it is, naming the client', async () => {
    expect(expectCleanFailure(await idp(['client', 'add', '--name', 'Early', '--grant-type', 'client_credentials', '--scope', 'reports:read']))).toContain(
      'Unknown scope reports:read',
    );
    expect((await scope(['add', 'reports:read', '--json'])).exitCode).toBe(0);
    const client = asRecord(
      expectJson(await idp(['client', 'add', '--json', '--name', 'Reports', '--grant-type', 'client_credentials', '--scope', 'reports:read', '--default-scope', 'reports:read'])),
    );
    expect(asStringArray(client.scopes)).toEqual(['reports:read']);

    const exported = asRecord(expectJson(await idp(['discovery', 'export'])));
    expect(asStringArray(exported.scopes_supported)).toContain('reports:read');

    const refusal = expectCleanFailure(await scope(['remove', 'reports:read']));
    expect(refusal).toContain(String(client.client_id));
    expect(refusal).toContain('Reports');
    expect((expectJson(await scope(['list', '--json'])) as Record<string, unknown>[]).map((item) => item.name)).toContain('reports:read');

    expect((await idp(['client', 'remove', '--yes', '--json', '--', String(client.client_id)])).exitCode).toBe(0);
    expect(asRecord(expectJson(await scope(['remove', 'reports:read', '--json']))).name).toBe('reports:read');
  });
});
