export { main } from './cli.js';
export { createServer, VERSION, type CreateServerOptions, type ApiSelection } from './create-server.js';
export { selectModels, checkModels, type ModelSelection } from './select-models.js';
export { discoverModels, standardStores, scanFolder, scanOllamaStore } from './discover-models.js';
