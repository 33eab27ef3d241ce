import { describe, expect, it } from 'vitest';
import { StopMatcher } from './stop-matcher.js';

function run(stops: string[], chunks: string[]) {
  const matcher = new StopMatcher(stops);
  let out = '';
  for (const chunk of chunks) out += matcher.push(chunk);
  return { out: out + matcher.flush(), stopped: matcher.stopped };
}

function matched(stops: string[], chunks: string[]) {
  const matcher = new StopMatcher(stops);
  for (const chunk of chunks) matcher.push(chunk);
  return matcher.matched;
}

describe('StopMatcher', () => {
  it('cuts before a stop string split across chunks and keeps the text before it', () => {
    expect(run(['Lily'], [', there', ' was a girl named L', 'il', 'y. She'])).toEqual({ out: ', there was a girl named ', stopped: true });
  });

  it('releases held text that turned out not to be a stop', () => {
    expect(run(['</end>'], ['a <', '/e', 'x> b'])).toEqual({ out: 'a </ex> b', stopped: false });
    expect(run(['</end>'], ['tail </en'])).toEqual({ out: 'tail </en', stopped: false });
  });

  it('picks the earliest of several stops and ignores empty ones', () => {
    expect(run(['b', 'cd', ''], ['xxcdb'])).toEqual({ out: 'xx', stopped: true });
  });

  it('names the stop string that matched, the earliest when several do', () => {
    expect(matched(['b', 'cd'], ['xxc', 'db'])).toBe('cd');
    expect(matched(['cd', 'b'], ['xxbcd'])).toBe('b');
    expect(matched(['zz'], ['xxbcd'])).toBeUndefined();
  });

  it('passes text through when there are no stops', () => {
    expect(run([], ['a', 'b'])).toEqual({ out: 'ab', stopped: false });
  });
});
