// Configuration mistakes (idp.toml, IDP_* environment, --config) stop a command before it does
// anything, with one sentence naming the key and where it came from; precedence is file < env.
import { beforeAll, beforeEach, describe, expect, it } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asRecord, expectCleanFailure, expectJson, runIdp, useSandbox } from '../helpers/cli.ts';

const sandbox = useSandbox();

let dataDir: string;
let configFile: string;
let pristine: string;

beforeAll(async () => {
  dataDir = await sandbox.initDataDir();
  configFile = join(dataDir, 'idp.toml');
  pristine = readFileSync(configFile, 'utf8');
});

// Every test starts from the idp.toml that init wrote.
beforeEach(() => writeFileSync(configFile, pristine));

const withLine = (line: string) => writeFileSync(configFile, `${pristine}\n${line}\n`);
const keysList = (env: Record<string, string> = {}, extra: string[] = []) =>
  runIdp(['keys', 'list', '--data-dir', dataDir, ...extra], { env });

describe('configuration errors', () => {
  it('an idp.toml that is not valid TOML fails naming the file and TOML, without a stack', async () => {
    withLine('issuer = = "x"');
    const sentence = expectCleanFailure(await keysList());
    expect(sentence).toContain(configFile);
    expect(sentence).toContain('TOML');
  });

  it('an unknown key in idp.toml is refused naming the key and the file', async () => {
    withLine('colour = "red"');
    const sentence = expectCleanFailure(await keysList());
    expect(sentence).toContain('colour');
    expect(sentence).toContain(configFile);
  });

  it('a value of the wrong type in idp.toml is refused naming the key', async () => {
    withLine('access_token_ttl = "soon"');
    const sentence = expectCleanFailure(await keysList());
    expect(sentence).toContain('access_token_ttl');
  });

  it('an invalid IDP_PORT is refused naming the variable', async () => {
    const sentence = expectCleanFailure(await keysList({ IDP_PORT: 'abc' }));
    expect(sentence).toContain('IDP_PORT');
  });

  it('an unknown IDP_* variable is refused naming it', async () => {
    const sentence = expectCleanFailure(await keysList({ IDP_FOO: '1' }));
    expect(sentence).toContain('IDP_FOO');
  });

  it('--config naming a missing file is refused naming the file', async () => {
    const missing = join(await sandbox.tempDir(), 'missing.toml');
    const sentence = expectCleanFailure(await keysList({}, ['--config', missing]));
    expect(sentence).toContain(missing);
  });
});

describe('configuration precedence', () => {
  const exportedIssuer = async (env: Record<string, string> = {}) =>
    asRecord(expectJson(await runIdp(['discovery', 'export', '--data-dir', dataDir], { env }))).issuer;

  it('a setting in idp.toml is used', async () => {
    withLine('issuer = "https://file.example.test"');
    expect(await exportedIssuer()).toBe('https://file.example.test');
  });

  it('an IDP_* variable overrides idp.toml', async () => {
    withLine('issuer = "https://file.example.test"');
    expect(await exportedIssuer({ IDP_ISSUER: 'https://env.example.test' })).toBe('https://env.example.test');
  });
});
