import { errorCodes, HeylookError, type HeylookErrorCode } from '@heylook/core';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { ApiKeyCheck } from './api-key-check.js';
import { defaultBodyLimit, type ServerGuardOptions } from './guard-options.js';
import { isAllowedHost, isLoopbackBind } from './host-check.js';
import { OriginAllowList } from './origin-allow-list.js';
import { checkRequestLimits, defaultRequestLimits } from './request-limits.js';

const statusByCode: Partial<Record<HeylookErrorCode, number>> = {
  [errorCodes.unauthorized]: 401,
  [errorCodes.forbidden]: 403,
  [errorCodes.payloadTooLarge]: 413,
};

/**
 * A coded error for each API's error handler; `statusCode` is for routes without one
 * (`/health`, a custom app's own routes), where fastify's default handler answers.
 */
function guardError(code: HeylookErrorCode, message: string, param?: string): HeylookError {
  return Object.assign(new HeylookError(code, message, param === undefined ? {} : { param }), { statusCode: statusByCode[code] ?? 400 });
}

function pathOf(request: FastifyRequest): string {
  const url = request.url;
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** Answers a CORS preflight and adds CORS headers, on the raw response so streamed (hijacked) replies get them too. */
function allowOrigin(request: FastifyRequest, reply: FastifyReply, origin: string): boolean {
  const raw = reply.raw;
  raw.setHeader('access-control-allow-origin', origin);
  raw.setHeader('vary', 'Origin');
  raw.setHeader('access-control-expose-headers', 'Retry-After, Content-Type');
  const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
  if (!preflight) return false;
  raw.setHeader('access-control-allow-methods', 'GET, POST, PUT, DELETE, HEAD, OPTIONS');
  const wanted = request.headers['access-control-request-headers'];
  raw.setHeader('access-control-allow-headers', typeof wanted === 'string' && wanted !== '' ? wanted : 'Authorization, Content-Type, X-Api-Key');
  raw.setHeader('access-control-max-age', '600');
  return true;
}

/**
 * The one transport guard every protocol server shares. It checks, before any work and
 * for every route (present or added later, any prefix): the Host header when bound to
 * loopback (DNS rebinding), the Origin against the allow-list (a page on another site
 * cannot make the machine generate, even with a no-preflight `text/plain` POST), the
 * body size, and the API key. Errors are core's coded errors, so each API answers in
 * its own error shape from its own error handler.
 */
export const serverGuard: FastifyPluginAsync<ServerGuardOptions> = fastifyPlugin(
  async (app: FastifyInstance, options: ServerGuardOptions) => {
    const keys = new ApiKeyCheck(options.apiKeys ?? []);
    const origins = new OriginAllowList(options.origins ?? []);
    const checkHost = options.bindHost !== undefined && isLoopbackBind(options.bindHost) && !(options.allowedHosts ?? []).includes('*');
    const allowedHosts = options.allowedHosts ?? [];
    const bodyLimit = options.bodyLimit ?? defaultBodyLimit;
    const limits = { ...defaultRequestLimits, ...options.limits };
    const openPaths = new Set(options.openPaths ?? ['/health']);

    // Chunked bodies have no Content-Length; fastify stops reading them at the route's limit.
    app.addHook('onRoute', (route) => {
      route.bodyLimit ??= bodyLimit;
    });

    app.addHook('onRequest', async (request, reply) => {
      if (checkHost && !isAllowedHost(request.headers.host, allowedHosts)) {
        throw guardError(
          errorCodes.forbidden,
          `Host "${request.headers.host}" is not allowed: heylook is bound to loopback and answers only local host names. Add it to allowed_hosts (HEYLOOK_ALLOWED_HOSTS) to use it.`,
        );
      }
      const origin = request.headers.origin;
      if (origin !== undefined) {
        if (!origins.allows(origin)) {
          throw guardError(
            errorCodes.forbidden,
            `Origin "${origin}" is not allowed. Add it to cors_origins (HEYLOOK_ORIGINS) to let pages from it use heylook.`,
          );
        }
        if (allowOrigin(request, reply, origin)) return reply.code(204).send();
      }
      const length = Number(request.headers['content-length']);
      if (Number.isFinite(length) && length > bodyLimit) {
        throw guardError(errorCodes.payloadTooLarge, `The request body is ${length} bytes; at most ${bodyLimit} bytes are allowed (body_limit).`);
      }
      if (keys.enabled && !openPaths.has(pathOf(request))) {
        const presented = ApiKeyCheck.presentedKey(request.headers);
        if (presented === undefined) {
          throw guardError(errorCodes.unauthorized, 'Missing API key: send "Authorization: Bearer <key>" or "x-api-key: <key>".');
        }
        if (!keys.matches(presented)) throw guardError(errorCodes.unauthorized, 'Incorrect API key provided.');
      }
      return undefined;
    });

    app.addHook('preHandler', async (request) => {
      try {
        checkRequestLimits(request.body, limits);
      } catch (error) {
        const coded = error as HeylookError;
        throw Object.assign(coded, { statusCode: statusByCode[coded.code] ?? 400 });
      }
    });
  },
  { fastify: '5.x', name: '@heylook/server-guard' },
);
