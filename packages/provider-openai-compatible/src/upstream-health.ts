import { UpstreamClient } from './upstream-client.js';
import type { UpstreamUrl } from './upstream-url.js';

/** A health check waits at most this long, however long `timeout` is. */
export const healthTimeoutMs = 5_000;

/**
 * Resolves when the upstream is up: `health_path` (default `/health`, which llama-server,
 * vLLM, SGLang and heylook answer) says 2xx; a server without /health (404) is asked for
 * its `/v1/models` instead. Throws with the reason otherwise.
 */
export async function checkUpstream(client: UpstreamClient, url: UpstreamUrl, healthPath: string | undefined, timeoutMs: number): Promise<void> {
  const timeout = Math.min(healthTimeoutMs, timeoutMs);
  let status = await client.probe(url, `${url.root}${healthPath ?? '/health'}`, timeout);
  if (status === 404 && healthPath === undefined) status = await client.probe(url, `${url.api}/models`, timeout);
  if (status < 200 || status >= 300) throw new Error(`health check answered ${status}`);
}
