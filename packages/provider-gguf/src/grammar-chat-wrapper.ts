import { SpecialToken, type ChatWrapper } from 'node-llama-cpp';

/**
 * The chat wrapper for a generation under a grammar. A template's text stop triggers
 * (Llama 2's `</s>`, ChatML's `<|im_end|>` as text) would end the answer when that text
 * appears inside a JSON string, with the grammar still open; only special-token triggers
 * remain, and the grammar lets an end token through only once it is complete.
 */
export function grammarChatWrapper(wrapper: ChatWrapper): ChatWrapper {
  const constrained = Object.create(wrapper) as ChatWrapper;
  constrained.generateContextState = (options) => {
    const state = wrapper.generateContextState(options);
    const stopGenerationTriggers = state.stopGenerationTriggers.filter((trigger) => trigger.values.every((value) => value instanceof SpecialToken));
    return { ...state, stopGenerationTriggers };
  };
  return constrained;
}
