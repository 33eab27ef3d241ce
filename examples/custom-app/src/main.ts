import path from 'node:path';
import { createApp } from './create-app.js';

// MODEL_PATH: a .gguf file (default: stories260K.gguf in $HEYLOOK_FIXTURES or ./models).
const modelPath = path.resolve(process.env.MODEL_PATH ?? path.join(process.env.HEYLOOK_FIXTURES ?? 'models', 'stories260K.gguf'));
const app = await createApp(modelPath);
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) });
console.log(`custom app serving ${modelPath} on ${address} (/v1 and /api)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
