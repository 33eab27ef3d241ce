import type { z } from 'zod';
import { errorCodes, HeylookError } from '../errors/heylook-error.js';

/** Validates a request body; a failure is HEYLOOK_INVALID_REQUEST naming the field (`param`). */
export function parseRequest<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === undefined || body === null || typeof body !== 'object') {
    throw new HeylookError(errorCodes.invalidRequest, 'The request body must be a JSON object.');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = issue.path.map(String).join('.');
  throw new HeylookError(errorCodes.invalidRequest, `Invalid request: ${param ? `"${param}": ` : ''}${issue.message}`, {
    ...(param ? { param } : {}),
  });
}

/** Request text → JSON value (undefined for an empty body); malformed JSON is HEYLOOK_INVALID_REQUEST. */
export function parseJsonText(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HeylookError(errorCodes.invalidRequest, `Body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A body parser (fastify's `addContentTypeParser('*', { parseAs: 'string' }, jsonBodyParser)`
 * signature) that reads every body as JSON whatever its content type: `curl -d` sends
 * form-urlencoded, and Ollama and llama-server accept that.
 */
export function jsonBodyParser(_request: unknown, body: string | Buffer, done: (error: Error | null, value?: unknown) => void): void {
  try {
    done(null, parseJsonText(body.toString()));
  } catch (error) {
    done(error as Error);
  }
}
