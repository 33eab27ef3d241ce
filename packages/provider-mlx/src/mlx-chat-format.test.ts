import { describe, expect, it } from 'vitest';
import { chatFormatOf, promptOpensThink } from './mlx-chat-format.js';

const noTokens = () => false;

describe('chatFormatOf', () => {
  // Fragments of the real templates: what each writes when it renders tools.
  it('tells the tool-call format from the template', () => {
    const hermes = '{%- if tools %}<tools>{{ tool | tojson }}</tools> within <tool_call></tool_call> XML tags{%- endif %}';
    const llama32 = `{%- if tools is not none %}{{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}{%- endif %}`;
    const llama31 = "{%- if tools %}{{- '<|python_tag|>' + tool_call.name }}{%- endif %}";
    const mistral = '{%- if tools %}[AVAILABLE_TOOLS]{{ tools|tojson }}[/AVAILABLE_TOOLS]{%- endif %}{{ "[TOOL_CALLS]" }}';
    const qwen3Coder = '{%- if tools %}{{- "<tool_call>\\n<function=" + tool_call.name + ">" }}{%- endif %}';
    expect(chatFormatOf(hermes, noTokens).toolCalls).toBe('hermes');
    expect(chatFormatOf(llama32, noTokens).toolCalls).toBe('llama3');
    expect(chatFormatOf(llama31, noTokens).toolCalls).toBe('llama3');
    expect(chatFormatOf(mistral, noTokens).toolCalls).toBe('mistral');
    expect(chatFormatOf(qwen3Coder, noTokens).toolCalls).toBe('qwen3-xml');
    expect(chatFormatOf('{{ messages[0].content }}', noTokens).toolCalls).toBeUndefined();
    expect(chatFormatOf(undefined, noTokens)).toEqual({ thinkSwitch: false });
  });

  it('finds think markers in the template or the vocabulary, and the enable_thinking switch', () => {
    const qwen3 = "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}";
    expect(chatFormatOf(qwen3, noTokens)).toEqual({ reasoning: { open: '<think>', close: '</think>' }, thinkSwitch: true });
    expect(chatFormatOf('{{ x }}', (text) => text === '<think>' || text === '</think>').reasoning).toEqual({ open: '<think>', close: '</think>' });
    expect(chatFormatOf('{{ x }}', noTokens).reasoning).toBeUndefined();
  });
});

describe('promptOpensThink', () => {
  it('is true when the prompt ends inside an opened block', () => {
    const markers = { open: '<think>', close: '</think>' };
    expect(promptOpensThink('<|im_start|>assistant\n<think>\n', markers)).toBe(true);
    expect(promptOpensThink('<|im_start|>assistant\n<think>\n\n</think>\n\n', markers)).toBe(false);
    expect(promptOpensThink('<|im_start|>assistant\n', markers)).toBe(false);
    expect(promptOpensThink('<think>\n', undefined)).toBe(false);
  });
});
