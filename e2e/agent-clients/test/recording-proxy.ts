import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exchange {
  method: string;
  url: string;
  status: number;
  requestBody: string;
  responseBody: string;
  ms: number;
}

export interface RecordingProxy {
  url: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

/**
 * Forwards every request to `upstream` unchanged and records both bodies, so a test can
 * compare what an agent client printed with what heylook actually streamed to it.
 */
export async function startRecordingProxy(upstream: string): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const target = new URL(upstream);
  const server = http.createServer((request, response) => {
    const started = performance.now();
    const requestChunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => requestChunks.push(chunk));
    request.on('end', () => {
      const upstreamRequest = http.request(
        { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: { ...request.headers, host: target.host } },
        (upstreamResponse) => {
          response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
          const responseChunks: Buffer[] = [];
          upstreamResponse.on('data', (chunk: Buffer) => {
            responseChunks.push(chunk);
            response.write(chunk);
          });
          upstreamResponse.on('end', () => {
            response.end();
            exchanges.push({
              method: request.method ?? '',
              url: request.url ?? '',
              status: upstreamResponse.statusCode ?? 0,
              requestBody: Buffer.concat(requestChunks).toString(),
              responseBody: Buffer.concat(responseChunks).toString(),
              ms: performance.now() - started,
            });
          });
        },
      );
      upstreamRequest.on('error', (error) => response.destroy(error));
      upstreamRequest.end(Buffer.concat(requestChunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The `data:` payloads of an SSE body, parsed. */
export function sseEvents(body: string): { type?: string; [key: string]: unknown }[] {
  return body
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .map((line) => JSON.parse(line.slice(6)) as { type?: string });
}
