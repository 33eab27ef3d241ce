import type { RequestLimits } from './request-limits.js';

export interface ServerGuardOptions {
  /** Keys accepted as `Authorization: Bearer <key>` or `x-api-key: <key>`; empty = no auth. */
  apiKeys?: readonly string[];
  /** Origins allowed besides the local defaults (`*` wildcards; `*` alone allows every origin). */
  origins?: readonly string[];
  /** The address the server binds; when it is loopback the Host header is checked (DNS rebinding). */
  bindHost?: string;
  /** Host names accepted besides local ones when bound to loopback (`*` disables the check). */
  allowedHosts?: readonly string[];
  /** Largest request body in bytes (default 64 MiB); larger is 413. */
  bodyLimit?: number;
  /** Limits on what a request may contain (messages, images). */
  limits?: Partial<RequestLimits>;
  /** Paths reachable without an API key (default `/health`). */
  openPaths?: readonly string[];
}

export const defaultBodyLimit = 64 * 1024 * 1024;
