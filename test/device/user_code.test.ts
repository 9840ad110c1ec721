// RFC 8628 §6.1 user codes: the default ones, and the wider set an adapter's generateUserCode may use.
import { describe, expect, it } from 'bun:test';
import { formatUserCode, generateUserCode, normalizeUserCode, USER_CODE_ALPHABET, USER_CODE_LENGTH } from '../../src/device/user_code.ts';

describe('user codes', () => {
  it('default codes are 8 characters of the alphabet, shown as XXXX-XXXX', () => {
    const code = generateUserCode();
    expect(code).toMatch(new RegExp(`^[${USER_CODE_ALPHABET}]{${USER_CODE_LENGTH}}$`));
    expect(formatUserCode('BDWPHQPK')).toBe('BDWP-HQPK');
  });

  it('normalises what a person types: case, dashes and spaces do not matter', () => {
    expect(normalizeUserCode('bdwp-hqpk')).toBe('BDWPHQPK');
    expect(normalizeUserCode(' bdwp hqpk ')).toBe('BDWPHQPK');
  });

  it('accepts 6 to 32 letters or digits (adapter codes), nothing else', () => {
    expect(normalizeUserCode('ab-12 cd')).toBe('AB12CD');
    expect(normalizeUserCode('7k3q9z2m4x')).toBe('7K3Q9Z2M4X');
    expect(normalizeUserCode('X'.repeat(32))).toBe('X'.repeat(32));
    for (const bad of ['', 'ABCDE', 'X'.repeat(33), 'ÄBCDEF', 'ABC_DEF', null, undefined]) expect(normalizeUserCode(bad)).toBeNull();
  });

  it('formats other lengths readably: two halves up to 8, groups of 4 beyond', () => {
    expect(formatUserCode('AB12CD')).toBe('AB1-2CD');
    expect(formatUserCode('ABCDEFG')).toBe('ABCD-EFG');
    expect(formatUserCode('7K3Q9Z2M4X')).toBe('7K3Q-9Z2M-4X');
    expect(normalizeUserCode(formatUserCode('7K3Q9Z2M4X'))).toBe('7K3Q9Z2M4X');
  });
});
