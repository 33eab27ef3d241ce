import {
  AlpacaChatWrapper,
  ChatMLChatWrapper,
  DeepSeekChatWrapper,
  FalconChatWrapper,
  FunctionaryChatWrapper,
  GemmaChatWrapper,
  GeneralChatWrapper,
  HarmonyChatWrapper,
  Llama2ChatWrapper,
  Llama3_1ChatWrapper,
  Llama3ChatWrapper,
  MistralChatWrapper,
  QwenChatWrapper,
  JinjaTemplateChatWrapper,
  type ChatWrapper,
} from 'node-llama-cpp';

/** Phi-3's turn format, as its models' own templates write it. */
const phi3Template =
  "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

const phi3 = () => new JinjaTemplateChatWrapper({ template: phi3Template });

/**
 * `chat_format` names that heylookitsanllm users wrote for llama-cpp-python, mapped to
 * node-llama-cpp's wrappers. Names llama-cpp-python has but node-llama-cpp has no
 * equivalent for are left out, so a config using one gets an error listing these.
 */
const chatFormats: Record<string, () => ChatWrapper> = {
  'llama-2': () => new Llama2ChatWrapper(),
  'llama-3': () => new Llama3ChatWrapper(),
  'llama-3.1': () => new Llama3_1ChatWrapper(),
  chatml: () => new ChatMLChatWrapper(),
  'chatml-function-calling': () => new ChatMLChatWrapper(),
  qwen: () => new QwenChatWrapper(),
  'qwen-vl': () => new QwenChatWrapper(),
  'mistral-instruct': () => new MistralChatWrapper(),
  mistral: () => new MistralChatWrapper(),
  gemma: () => new GemmaChatWrapper(),
  'phi-3': phi3,
  alpaca: () => new AlpacaChatWrapper(),
  functionary: () => new FunctionaryChatWrapper(),
  'functionary-v2': () => new FunctionaryChatWrapper(),
  falcon: () => new FalconChatWrapper(),
  deepseek: () => new DeepSeekChatWrapper(),
  harmony: () => new HarmonyChatWrapper(),
  general: () => new GeneralChatWrapper(),
};

export const chatFormatNames: string[] = Object.keys(chatFormats);

export function createChatFormat(name: string): ChatWrapper {
  const create = chatFormats[name];
  if (!create) throw new Error(`Unknown chat_format "${name}"; known: ${chatFormatNames.join(', ')}`);
  return create();
}
