// client.updated and user.updated name what changed, never the values.
import { describe, expect, it } from 'bun:test';
import { changedFields } from '../../src/events/changes.ts';

describe('changedFields', () => {
  it('names changed, added and removed keys, sorted; lists compare as a whole', () => {
    const before = { name: 'A', scopes: ['openid'], email: 'a@x', gone: 1 };
    const after = { name: 'A', scopes: ['openid', 'email'], email: null, added: true };
    expect(changedFields(before, after)).toEqual(['added', 'email', 'gone', 'scopes']);
  });

  it('compares a nested object key by key, and skips ignored keys', () => {
    const before = { attributes: { team: 'red', groups: ['a'] }, updated_at: '1' };
    const after = { attributes: { team: 'blue', groups: ['a'], floor: 3 }, updated_at: '2' };
    expect(changedFields(before, after, ['updated_at'])).toEqual(['attributes.floor', 'attributes.team']);
    expect(changedFields(before, before)).toEqual([]);
  });
});
