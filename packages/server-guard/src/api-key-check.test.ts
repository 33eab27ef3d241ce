import { describe, expect, it } from 'vitest';
import { ApiKeyCheck } from './api-key-check.js';

describe('ApiKeyCheck', () => {
  it('matches any configured key exactly, and nothing when none are configured', () => {
    const check = new ApiKeyCheck(['alpha', 'beta', '']);
    expect(check.enabled).toBe(true);
    expect(check.matches('alpha') && check.matches('beta')).toBe(true);
    expect(check.matches('alph') || check.matches('alphaa') || check.matches('') || check.matches('ALPHA')).toBe(false);
    expect(new ApiKeyCheck([]).enabled).toBe(false);
  });

  it('reads Bearer (any case) and x-api-key headers', () => {
    expect(ApiKeyCheck.presentedKey({ authorization: 'Bearer  k1 ' })).toBe('k1');
    expect(ApiKeyCheck.presentedKey({ authorization: 'bearer k2' })).toBe('k2');
    expect(ApiKeyCheck.presentedKey({ 'x-api-key': 'k3' })).toBe('k3');
    expect(ApiKeyCheck.presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
    expect(ApiKeyCheck.presentedKey({})).toBeUndefined();
  });
});
