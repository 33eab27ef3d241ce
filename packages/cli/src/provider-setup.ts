import { fileURLToPath } from 'node:url';
import { discoverProviders, ProviderRegistry, registerDiscovered, type DiscoveredProvider } from '@heylook/core';

/** The CLI's own package.json: its dependencies (the gguf provider) are always discovered. */
export const cliPackageJson = fileURLToPath(new URL('../package.json', import.meta.url));

export interface ProviderSetup {
  registry: ProviderRegistry;
  discovered: DiscoveredProvider[];
}

/**
 * Providers named in the project's package.json (nearest to `cwd`) and in the CLI's own;
 * packages are imported only when a model needs them.
 */
export async function setUpProviders(cwd: string): Promise<ProviderSetup> {
  const discovered = await discoverProviders({ cwd, extraPackageJsons: [cliPackageJson] });
  const registry = new ProviderRegistry();
  registerDiscovered(registry, discovered);
  return { registry, discovered };
}
