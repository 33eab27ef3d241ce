import { checkProvider, type ProviderReadiness, type ProviderRegistry } from '@heylook/core';

/**
 * Readiness of the named providers (ids or aliases): imports each package and asks its
 * optional check(). A package that fails to import is not ready either.
 */
export async function providerReadiness(registry: ProviderRegistry, providerIds: Iterable<string>): Promise<Map<string, ProviderReadiness>> {
  const result = new Map<string, ProviderReadiness>();
  for (const providerId of new Set(providerIds)) {
    if (!registry.has(providerId)) continue;
    try {
      result.set(providerId, await checkProvider(await registry.get(providerId)));
    } catch (error) {
      result.set(providerId, {
        ready: false,
        problem: `its package failed to import: ${error instanceof Error ? error.message : String(error)}`,
        fix: 'reinstall it with your package manager',
      });
    }
  }
  return result;
}

export function describeReadiness(readiness: ProviderReadiness | undefined): string {
  if (!readiness) return 'ok';
  if (readiness.ready) return readiness.detail ? `ready (${readiness.detail})` : 'ready';
  return `NOT READY: ${readiness.problem}. Fix: ${readiness.fix}`;
}
