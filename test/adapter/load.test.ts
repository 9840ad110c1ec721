// loadAdapter: a working module loads; anything wrong stops the start with one sentence naming the file.
import { afterAll, describe, expect, it } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdapterLoadError, loadAdapter } from '../../src/adapter/load.ts';
import { tempDir } from '../helpers/temp.ts';

const dir = tempDir('idp-adapter-');
afterAll(() => dir.remove());

function module(name: string, source: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, source);
  return path;
}

async function loadError(path: string): Promise<string> {
  try {
    await loadAdapter(path);
  } catch (error) {
    expect(error).toBeInstanceOf(AdapterLoadError);
    const message = (error as Error).message;
    expect(message).toContain(path);
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error(`${path} loaded`);
}

describe('loadAdapter', () => {
  it('an empty setting is every default', async () => {
    expect(await loadAdapter('')).toEqual({});
  });

  it('loads a TypeScript module exporting its hooks by default, or as `adapter`', async () => {
    const byDefault = await loadAdapter(module('default.ts', "export default { authorize: (context: { user: unknown }): boolean => context.user !== null };\n"));
    expect(Object.keys(byDefault)).toEqual(['authorize']);
    const named = await loadAdapter(module('named.js', 'export const adapter = { onEvent() {} };\n'));
    expect(Object.keys(named)).toEqual(['onEvent']);
  });

  it('loads the example adapter', async () => {
    const example = await loadAdapter(join(import.meta.dir, '../../examples/adapter/idp.adapter.ts'));
    expect(Object.keys(example).sort()).toEqual(['accessTokenClaims', 'authorize', 'claims', 'onEvent', 'tokenLifetimes']);
  });

  it('a missing file', async () => {
    expect(await loadError(join(dir.path, 'nowhere.ts'))).toContain('does not exist');
  });

  it('a syntax error names the file and the place', async () => {
    const message = await loadError(module('syntax.ts', 'export default {\n  claims( { return {}; }\n};\n'));
    expect(message).toContain('cannot be loaded');
    expect(message).toMatch(/line 2/);
  });

  it('a module that throws while loading', async () => {
    expect(await loadError(module('throws.ts', "throw new Error('no config for the adapter');\n"))).toContain('no config for the adapter');
  });

  it('a module without an adapter export', async () => {
    expect(await loadError(module('none.ts', 'export const something = 1;\n'))).toContain('exports no adapter');
  });

  it('an export that is not an object of methods', async () => {
    expect(await loadError(module('number.ts', 'export default 42;\n'))).toContain('not a number');
    expect(await loadError(module('array.ts', 'export default [];\n'))).toContain('not an array');
    expect(await loadError(module('member.ts', 'export default { claims: { name: 1 } };\n'))).toContain('claims must be a function, not an object');
  });

  it('an unknown member, such as a misspelt hook', async () => {
    const message = await loadError(module('misspelt.ts', 'export default { claim() { return {}; } };\n'));
    expect(message).toContain('unknown member claim');
    expect(message).toContain('claims, idTokenClaims');
  });
});
