import { describe, expect, it } from 'vitest';
import { ResponseStore, type StoredResponse } from './response-store.js';

const entry = (id: string): StoredResponse => ({ response: { id, model: 'm' }, conversation: [{ role: 'user', content: id }] });

describe('ResponseStore', () => {
  it('evicts the least recently used entry past maxEntries; a read counts as use', () => {
    const store = new ResponseStore({ maxEntries: 2 });
    store.set(entry('a'));
    store.set(entry('b'));
    expect(store.get('a')?.response.id).toBe('a');
    store.set(entry('c'));
    expect([store.get('a'), store.get('b'), store.get('c')].map((value) => value?.response.id)).toEqual(['a', undefined, 'c']);
    expect(store.size).toBe(2);
  });

  it('drops entries idle for longer than the TTL, and keeps those read in time', () => {
    let now = 0;
    const store = new ResponseStore({ ttlMs: 1000, now: () => now });
    store.set(entry('old'));
    store.set(entry('kept'));
    now = 900;
    expect(store.get('kept')).toBeDefined();
    now = 1000;
    expect(store.get('old')).toBeUndefined();
    now = 1899;
    expect(store.get('kept')).toBeDefined();
    now = 2899;
    expect(store.size).toBe(0);
  });

  it('replaces an entry stored again under the same id, and deletes', () => {
    const store = new ResponseStore();
    store.set(entry('a'));
    store.set({ ...entry('a'), conversation: [] });
    expect(store.size).toBe(1);
    expect(store.get('a')?.conversation).toEqual([]);
    expect(store.delete('a')).toBe(true);
    expect(store.delete('a')).toBe(false);
  });

  it('stores nothing with maxEntries 0 and refuses nonsense limits', () => {
    const store = new ResponseStore({ maxEntries: 0 });
    store.set(entry('a'));
    expect(store.get('a')).toBeUndefined();
    expect(() => new ResponseStore({ ttlMs: 0 })).toThrow(RangeError);
    expect(() => new ResponseStore({ maxEntries: -1 })).toThrow(RangeError);
  });
});
