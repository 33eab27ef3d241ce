import { describe, expect, it } from 'vitest';
import { ReasoningSplitter, type ReasoningSplitterOptions } from './reasoning-splitter.js';

function split(chunks: string[], options?: ReasoningSplitterOptions) {
  const splitter = new ReasoningSplitter(options);
  const parts = [...chunks.flatMap((chunk) => splitter.push(chunk)), ...splitter.flush()];
  for (const part of parts) expect(part.text).not.toBe('');
  const join = (type: string) => parts.map((part) => (part.type === type ? part.text : '')).join('');
  return { reasoning: join('reasoning-delta'), text: join('text-delta') };
}

function expectEverySplit(output: string, expected: { reasoning: string; text: string }, options?: ReasoningSplitterOptions): void {
  expect(split([output], options)).toEqual(expected);
  for (let cut = 1; cut < output.length; cut++) expect(split([output.slice(0, cut), output.slice(cut)], options)).toEqual(expected);
  expect(split([...output], options)).toEqual(expected);
}

describe('ReasoningSplitter', () => {
  it("splits Qwen3's <think> block from the answer, without the newlines around the markers", () => {
    expectEverySplit('<think>\nThe user greets me.\n\nI greet back.\n</think>\n\nHello!', { reasoning: 'The user greets me.\n\nI greet back.', text: 'Hello!' });
  });

  it('starts inside the block when the prompt opened it (Qwen3-Thinking, DeepSeek-R1)', () => {
    expectEverySplit('Think < 1 sec.\n</think>\n\nHi', { reasoning: 'Think < 1 sec.', text: 'Hi' }, { startsInside: true });
  });

  it('gives an empty block (reasoning off: the template wrote it) nothing', () => {
    expectEverySplit('<think>\n\n</think>\n\nHi there', { reasoning: '', text: 'Hi there' });
  });

  it('passes an answer without a block through, and a later <think> is text', () => {
    expectEverySplit('  Hello <think>x</think>', { reasoning: '', text: '  Hello <think>x</think>' });
    expectEverySplit('<thin', { reasoning: '', text: '<thin' });
  });

  it('keeps reasoning cut off by the end of generation as reasoning', () => {
    expectEverySplit('<think>\nStill thinking', { reasoning: 'Still thinking', text: '' });
  });

  it('streams reasoning as it arrives', () => {
    const splitter = new ReasoningSplitter();
    expect(splitter.push('<think>\nA')).toEqual([{ type: 'reasoning-delta', text: 'A' }]);
    expect(splitter.push('b c</thi')).toEqual([{ type: 'reasoning-delta', text: 'b c' }]);
    expect(splitter.push('nk>\n\nD')).toEqual([{ type: 'text-delta', text: 'D' }]);
    expect(splitter.push('e')).toEqual([{ type: 'text-delta', text: 'e' }]);
  });

  it('takes other markers', () => {
    expectEverySplit('<|think:start|>plan<|think:end|>done', { reasoning: 'plan', text: 'done' }, { open: '<|think:start|>', close: '<|think:end|>' });
  });
});
