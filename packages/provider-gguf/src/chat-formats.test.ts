import { describe, expect, it } from 'vitest';
import { chatFormatNames, createChatFormat } from './chat-formats.js';

const history = [
  { type: 'system' as const, text: 'Be brief.' },
  { type: 'user' as const, text: 'Hi there' },
  { type: 'model' as const, response: [] },
];

const rendered = (name: string) => createChatFormat(name).generateContextState({ chatHistory: history }).contextText.toString();

describe('chat_format names', () => {
  it.each([
    ['chatml', ['<|im_start|>system', 'Be brief.', '<|im_start|>user', 'Hi there', '<|im_start|>assistant']],
    ['llama-2', ['[INST]', '<<SYS>>', 'Be brief.', 'Hi there', '[/INST]']],
    ['phi-3', ['<|system|>', 'Be brief.<|end|>', '<|user|>', 'Hi there<|end|>', '<|assistant|>']],
    ['gemma', ['<start_of_turn>user', 'Hi there', '<start_of_turn>model']],
    ['llama-3', ['<|start_header_id|>system<|end_header_id|>', 'Be brief.', '<|start_header_id|>assistant<|end_header_id|>']],
  ])('%s renders its own markup', (name, pieces) => {
    const text = rendered(name);
    let at = 0;
    for (const piece of pieces) {
      const found = text.indexOf(piece, at);
      expect(found, `"${piece}" in order in ${JSON.stringify(text)}`).toBeGreaterThanOrEqual(0);
      at = found + piece.length;
    }
  });

  it('every name builds a wrapper, and an unknown one is an error listing them', () => {
    for (const name of chatFormatNames) expect(rendered(name)).toContain('Hi there');
    expect(() => createChatFormat('vicuna')).toThrow(/known: llama-2, /);
  });
});
