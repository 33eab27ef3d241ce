import type { FastifyRequest } from 'fastify';

/** Parses a request body as JSON; malformed JSON is a 400 like fastify's own parser gives. */
export function parseJsonBody(_request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void): void {
  const text = body.toString();
  if (text.trim() === '') return done(null, undefined);
  try {
    done(null, JSON.parse(text));
  } catch (error) {
    done(Object.assign(new Error(`Body is not valid JSON: ${(error as Error).message}`), { statusCode: 400 }));
  }
}
