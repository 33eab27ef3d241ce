import type { ModelRouter } from '@heylook/core';

/** A progress bar on stderr while a model loads, when stderr is a terminal. */
export function showLoadProgress(router: ModelRouter, stream: NodeJS.WriteStream = process.stderr): void {
  if (!stream.isTTY) return;
  router.on('load-progress', ({ modelId, fraction }) => {
    const width = 30;
    const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
    stream.write(`\r  loading ${modelId} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}%`);
  });
  router.on('load-end', () => stream.write('\r\x1b[2K'));
}
