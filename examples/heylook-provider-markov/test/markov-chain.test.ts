import { describe, expect, it } from 'vitest';
import { END, MarkovChain, UNKNOWN } from '../src/markov-chain.js';

const text = 'The cat sat on the mat.\n\nThe cat ran to the door. The dog sat on the step.';

describe('MarkovChain', () => {
  it('tokenizes words and punctuation, and round-trips known text', () => {
    const chain = new MarkovChain(text, 2);
    const ids = chain.tokenize('the cat sat.');
    expect(ids).toHaveLength(4);
    expect(ids).not.toContain(UNKNOWN);
    expect(chain.detokenize(ids)).toBe('the cat sat.');
    expect(chain.tokenize('the zebra')[1]).toBe(UNKNOWN);
  });

  it('counts what followed each context, backing off to shorter ones', () => {
    const chain = new MarkovChain(text, 2);
    const [the, cat] = chain.tokenize('the cat');
    const afterTheCat = chain.candidates([the!, cat!]);
    expect([...afterTheCat.values()].reduce((sum, count) => sum + count, 0)).toBe(2);
    // "zebra cat" was never seen, but "cat" was: same followers as after "the cat".
    expect(chain.candidates([UNKNOWN, cat!])).toEqual(afterTheCat);
  });

  it('picks the most frequent next word when greedy, and ends paragraphs', () => {
    const chain = new MarkovChain(text, 2);
    const [on, the, mat, dot] = chain.tokenize('on the mat.');
    expect(chain.pick([on!, the!], 0, Math.random)).toBe(mat);
    expect(chain.pick([mat!, dot!], 0, Math.random)).toBe(END);
  });
});
