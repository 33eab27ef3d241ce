import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Checks presented keys against the configured ones in constant time: both sides are
 * hashed to equal lengths and every configured key is compared, match or not, so timing
 * tells nothing about a key's length or prefix.
 */
export class ApiKeyCheck {
  readonly #digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.#digests = [...new Set(keys.filter((key) => key !== ''))].map(digest);
  }

  get enabled(): boolean {
    return this.#digests.length > 0;
  }

  /** The key a request presents: `Authorization: Bearer <key>` (OpenAI, Ollama) or `x-api-key` (Anthropic). */
  static presentedKey(headers: IncomingHttpHeaders): string | undefined {
    const authorization = headers.authorization;
    if (typeof authorization === 'string') {
      const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
      if (match) return match[1]!.trim();
    }
    const apiKey = headers['x-api-key'];
    return typeof apiKey === 'string' && apiKey !== '' ? apiKey.trim() : undefined;
  }

  matches(presented: string): boolean {
    const candidate = digest(presented);
    let matched = false;
    for (const known of this.#digests) matched = timingSafeEqual(candidate, known) || matched;
    return matched;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
