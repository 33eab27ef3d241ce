import { describe, expect, it } from 'vitest';
import { hostnameOf, isAllowedHost, isLoopbackBind } from './host-check.js';

describe('host check', () => {
  it('knows loopback binds', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].every(isLoopbackBind)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.2', 'example.com'].some(isLoopbackBind)).toBe(false);
  });

  it('reads host names out of Host headers', () => {
    expect(hostnameOf('Example.COM:8080')).toBe('example.com');
    expect(hostnameOf('[::1]:8080')).toBe('::1');
    expect(hostnameOf('localhost')).toBe('localhost');
  });

  it('allows local names and IP literals, refuses other names unless listed', () => {
    for (const host of ['localhost:1', '127.0.0.1', '[::1]:80', '10.0.0.2:8080', 'x.localhost', 'nas.local', 'db.internal', undefined]) {
      expect(isAllowedHost(host), String(host)).toBe(true);
    }
    expect(isAllowedHost('evil.example')).toBe(false);
    expect(isAllowedHost('localhost.evil.example')).toBe(false);
    expect(isAllowedHost('evil.example', ['EVIL.example'])).toBe(true);
  });
});
