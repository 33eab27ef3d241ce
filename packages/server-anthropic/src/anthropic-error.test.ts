import { errorCodes, HeylookError, type HeylookErrorCode } from '@heylook/core';
import { describe, expect, it } from 'vitest';
import { toAnthropicError } from './anthropic-error.js';

const mapped = (code: HeylookErrorCode, options = {}) => toAnthropicError(new HeylookError(code, 'msg', options));

describe('toAnthropicError', () => {
  it.each([
    [errorCodes.invalidRequest, 400, 'invalid_request_error'],
    [errorCodes.unsupportedCapability, 400, 'invalid_request_error'],
    [errorCodes.noModelSpecified, 400, 'invalid_request_error'],
    [errorCodes.unauthorized, 401, 'authentication_error'],
    [errorCodes.forbidden, 403, 'permission_error'],
    [errorCodes.noSuchModel, 404, 'not_found_error'],
    [errorCodes.notFound, 404, 'not_found_error'],
    [errorCodes.payloadTooLarge, 413, 'request_too_large'],
    [errorCodes.queueFull, 429, 'rate_limit_error'],
    [errorCodes.modelBusyTimeout, 529, 'overloaded_error'],
    [errorCodes.closed, 529, 'overloaded_error'],
    [errorCodes.providerError, 500, 'api_error'],
  ] as const)('maps %s to %i %s', (code, status, type) => {
    const result = mapped(code);
    expect(result.status).toBe(status);
    expect(result.body).toEqual({ type: 'error', error: { type, message: 'msg' } });
  });

  it('keeps retry-after, and answers a model that cannot load with a 422 the SDK does not retry', () => {
    expect(mapped(errorCodes.queueFull, { retryAfterSeconds: 3 }).retryAfterSeconds).toBe(3);
    expect(mapped(errorCodes.modelFileNotFound)).toMatchObject({ status: 422, body: { error: { type: 'invalid_request_error' } } });
    expect(mapped(errorCodes.unsupportedModel)).toMatchObject({ status: 422, body: { error: { type: 'invalid_request_error' } } });
    expect(mapped(errorCodes.providerCrashed)).toMatchObject({ status: 500, body: { error: { type: 'api_error' } } });
  });

  it('words a context overflow the way Claude Code recognises', () => {
    const result = toAnthropicError(new HeylookError(errorCodes.contextOverflow, 'The prompt is 900 tokens, but "m" has a context of 512 tokens. Shorten the prompt or raise n_ctx.'));
    expect(result.status).toBe(400);
    expect(result.body.error.message).toMatch(/^prompt is too long: The prompt is 900 tokens/);
  });

  it('maps fastify client errors by status and anything else to a 500 api_error', () => {
    expect(toAnthropicError(Object.assign(new Error('Request body is too large'), { statusCode: 413 }))).toMatchObject({
      status: 413,
      body: { error: { type: 'request_too_large' } },
    });
    expect(toAnthropicError(new Error('boom'))).toMatchObject({ status: 500, body: { error: { type: 'api_error', message: 'Internal error: boom' } } });
  });
});
