import { describe, expect, it } from 'vitest';
import type { OpenAIChatMessage } from './request-schemas.js';
import { responsesRequestSchema } from './responses-schemas.js';
import { toChatCompletionBody } from './to-responses-request.js';

const parse = (body: object) => responsesRequestSchema.parse(body);

describe('toChatCompletionBody', () => {
  it('maps instructions, developer input, sampling, function tools and text.format', () => {
    const { chat, conversation } = toChatCompletionBody(
      parse({
        model: 'm',
        instructions: 'Be brief.',
        input: [
          { role: 'developer', content: 'rules' },
          { role: 'user', content: [{ type: 'input_text', text: 'look: ' }, { type: 'input_image', image_url: 'data:image/png;base64,AA==' }] },
        ],
        max_output_tokens: 7,
        temperature: 0.5,
        tools: [{ type: 'function', name: 'f', description: null, parameters: { type: 'object' } }, { type: 'web_search' }],
        tool_choice: { type: 'function', name: 'f' },
        text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' }, strict: true } },
      }),
    );
    expect(chat).toMatchObject({
      model: 'm',
      max_completion_tokens: 7,
      temperature: 0.5,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: 'rules' },
        { role: 'user', content: [{ type: 'text', text: 'look: ' }, { type: 'image_url', image_url: 'data:image/png;base64,AA==' }] },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' }, strict: true } },
    });
    expect(chat.tools).toHaveLength(1);
    // Instructions are not part of the conversation a later turn continues.
    expect(conversation.map((message) => message.role)).toEqual(['developer', 'user']);
  });

  it('folds reasoning, an assistant message and function calls into one assistant turn', () => {
    const { conversation } = toChatCompletionBody(
      parse({
        input: [
          { role: 'user', content: 'q' },
          { type: 'reasoning', summary: [{ type: 'summary_text', text: 'short' }], content: [{ type: 'reasoning_text', text: 'long' }] },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'a' }] },
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
          { type: 'function_call', call_id: 'c2', name: 'g', arguments: '{"x":1}' },
          { type: 'function_call_output', call_id: 'c2', output: 'two' },
          { type: 'function_call_output', call_id: 'c1', output: 'one' },
          { role: 'assistant', content: 'done' },
          { role: 'assistant', content: 'and more' },
        ],
      }),
    );
    expect(conversation).toEqual([
      { role: 'user', content: 'q' },
      {
        role: 'assistant',
        content: 'a',
        reasoning_content: 'long',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } },
          { id: 'c2', type: 'function', function: { name: 'g', arguments: '{"x":1}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c2', name: 'g', content: 'two' },
      { role: 'tool', tool_call_id: 'c1', name: 'f', content: 'one' },
      { role: 'assistant', content: 'done' },
      { role: 'assistant', content: 'and more' },
    ]);
  });

  it('continues a previous conversation without changing it', () => {
    const previous: OpenAIChatMessage[] = [
      { role: 'user', content: 'q' },
      { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    ];
    const frozen = structuredClone(previous);
    const { chat, conversation } = toChatCompletionBody(
      parse({ instructions: 'new rules', input: [{ type: 'function_call', call_id: 'c2', name: 'f', arguments: '{}' }, { type: 'function_call_output', call_id: 'c1', output: 'r' }] }),
      previous,
    );
    expect(previous).toEqual(frozen);
    expect(conversation[1]!.tool_calls?.map((call) => call.id)).toEqual(['c1', 'c2']);
    expect(conversation[2]).toEqual({ role: 'tool', tool_call_id: 'c1', name: 'f', content: 'r' });
    expect(chat.messages[0]).toEqual({ role: 'system', content: 'new rules' });
  });

  it('narrows tools to allowed_tools', () => {
    const { chat } = toChatCompletionBody(
      parse({
        input: 'x',
        tools: [{ type: 'function', name: 'a' }, { type: 'function', name: 'b' }],
        tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'b' }] },
      }),
    );
    expect(chat.tools?.map((tool) => tool.function.name)).toEqual(['b']);
    expect(chat.tool_choice).toBe('required');
  });
});
