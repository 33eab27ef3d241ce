import { markovProvider } from './markov-provider.js';

export { createMarkovProvider, markovProvider, VERSION } from './markov-provider.js';
export { markovConfigSchema, type MarkovConfig } from './markov-config.js';
export { MarkovChain } from './markov-chain.js';
export { MarkovModel } from './markov-model.js';
export default markovProvider;
