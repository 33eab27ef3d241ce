import { errorCodes } from '@heylook/core';
import { describe, expect, it } from 'vitest';
import { fromHttpStatus, parseErrorBody, parseRetryAfter, unreachable } from './upstream-error.js';

const host = 'http://gpu-1:8000/v1';
const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  fromHttpStatus(host, status, typeof body === 'string' ? body : JSON.stringify(body), new Headers(headers), 'qwen');

describe('upstream errors', () => {
  it('keeps a 429 a 429 with the upstream Retry-After, and lets the request try another replica', () => {
    const failure = answer(429, { error: { message: 'slow down', type: 'rate_limit_error' } }, { 'retry-after': '7' });
    expect(failure.error).toMatchObject({ code: errorCodes.queueFull, retryAfterSeconds: 7 });
    expect(failure.error.message).toContain('gpu-1:8000');
    expect(failure.error.message).toContain('slow down');
    expect(failure).toMatchObject({ tryAnother: true, replicaDown: false, status: 429 });
  });

  it('takes out replicas that are unreachable or unavailable, with a transient error naming them', () => {
    const refused = unreachable(host, Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
    expect(refused.error).toMatchObject({ code: errorCodes.modelBusyTimeout, retryAfterSeconds: 1 });
    expect(refused.error.message).toMatch(/Upstream http:\/\/gpu-1:8000\/v1 is unreachable \(ECONNREFUSED\)/);
    expect(refused).toMatchObject({ replicaDown: true, tryAnother: true });
    expect(answer(503, 'loading model')).toMatchObject({ replicaDown: true, tryAnother: true, error: { code: errorCodes.modelBusyTimeout } });
  });

  it("maps the client's mistakes to 4xx codes that are not retried elsewhere", () => {
    const bad = answer(400, { error: { message: 'temperature too high', param: 'temperature', code: 'invalid_value' } });
    expect(bad).toMatchObject({ tryAnother: false, error: { code: errorCodes.invalidRequest, param: 'temperature' } });
    expect(answer(400, { object: 'error', message: "This model's maximum context length is 4096 tokens" }).error.code).toBe(errorCodes.contextOverflow);
    expect(answer(413, 'too big').error.code).toBe(errorCodes.payloadTooLarge);
    expect(answer(404, { error: 'model "qwen" not found' }).error.code).toBe(errorCodes.loadFailed);
    expect(answer(404, 'Not Found').error.code).toBe(errorCodes.unsupportedCapability);
    // A wrong upstream key is the operator's problem, not the client's.
    expect(answer(401, { detail: 'bad key' }).error).toMatchObject({ code: errorCodes.invalidConfig });
  });

  it('reads the error bodies of OpenAI, Ollama, vLLM and FastAPI', () => {
    expect(parseErrorBody('{"error":{"message":"m","param":"p","code":"c"}}')).toEqual({ message: 'm', param: 'p', code: 'c' });
    expect(parseErrorBody('{"error":"ollama says"}').message).toBe('ollama says');
    expect(parseErrorBody('{"object":"error","message":"vllm says"}').message).toBe('vllm says');
    expect(parseErrorBody('{"detail":[{"loc":["body"],"msg":"x"}]}').message).toBe('[{"loc":["body"],"msg":"x"}]');
    expect(parseErrorBody('<html>502</html>').message).toBe('<html>502</html>');
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10);
    expect(parseRetryAfter('0', now)).toBe(1);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
