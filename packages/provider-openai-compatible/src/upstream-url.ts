/** Where one upstream's endpoints are. */
export interface UpstreamUrl {
  /** The OpenAI API base, e.g. http://host:8000/v1 (no trailing slash). */
  api: string;
  /** The server root, for /health. */
  root: string;
  /** How errors and listings name the upstream: the API base without credentials. */
  label: string;
}

/**
 * `http://host:8000` and `http://host:8000/v1` both mean the OpenAI API at /v1 with the
 * server root at /; any other path (`https://example.com/openai/v1`) is taken as the API base.
 */
export function upstreamUrl(baseUrl: string): UpstreamUrl {
  const url = new URL(baseUrl);
  url.username = '';
  url.password = '';
  url.hash = '';
  url.search = '';
  const path = url.pathname.replace(/\/+$/, '');
  const origin = url.origin;
  const api = path === '' ? `${origin}/v1` : `${origin}${path}`;
  const root = path === '' || path === '/v1' ? origin : `${origin}${path.replace(/\/v1$/, '')}`;
  return { api, root, label: api };
}

