import { hostname as machineHostname } from 'node:os';
import { isIP } from 'node:net';

/** True for addresses only this machine can reach: then the Host header is checked. */
export function isLoopbackBind(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/** The host name of a Host header, without port or IPv6 brackets, lower-cased. */
export function hostnameOf(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']') >>> 0);
  const colon = value.lastIndexOf(':');
  return colon >= 0 && value.indexOf(':') === colon ? value.slice(0, colon) : value;
}

/**
 * Defends a loopback-bound server against DNS rebinding: a page on evil.example whose
 * name was re-pointed at 127.0.0.1 sends `Host: evil.example`, which is refused. Local
 * names (localhost, *.localhost, *.local, *.internal, this machine's name) and IP
 * literals pass, as in Ollama; `extraHosts` adds names (`*` allows any).
 */
export function isAllowedHost(hostHeader: string | undefined, extraHosts: readonly string[] = []): boolean {
  if (hostHeader === undefined || hostHeader === '') return true;
  const name = hostnameOf(hostHeader);
  if (name === '' || name === 'localhost' || isIP(name) !== 0) return true;
  if (/\.(localhost|local|internal)$/.test(name)) return true;
  if (name === machineHostname().toLowerCase()) return true;
  return extraHosts.some((extra) => extra === '*' || extra.toLowerCase() === name);
}
