// The README is the operator's guide: its settings table and command list must name exactly what the
// code has, so a setting or command added (or renamed) without documentation fails here.
import { describe, expect, it } from 'bun:test';
import { buildProgram } from '../../cli/main.ts';
import { envName, SETTING_KEYS } from '../../src/config/schema.ts';

const readme = await Bun.file(new URL('../../README.md', import.meta.url)).text();

describe('README.md', () => {
  it('has one settings-table row per setting, with its environment variable, and none for settings that do not exist', () => {
    const rows = [...readme.matchAll(/^\| `([a-z_]+)` \| `(IDP_[A-Z_]+)`/gm)].map(([, key, env]) => [key, env]);
    expect(rows.map(([key]) => key).sort()).toEqual([...SETTING_KEYS].sort());
    for (const [key, env] of rows) expect(env).toBe(envName(key as (typeof SETTING_KEYS)[number]));
  });

  it('documents every top-level command', () => {
    const commands = buildProgram().commands.map((command) => command.name());
    expect(commands.length).toBeGreaterThan(5);
    for (const name of commands) expect({ name, documented: readme.includes(`idp ${name}`) }).toEqual({ name, documented: true });
  });
});
