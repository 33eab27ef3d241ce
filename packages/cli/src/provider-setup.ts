import { fileURLToPath } from 'node:url';
import { discoverProviders, ProviderRegistry, registerDiscovered, type DiscoveredProvider } from '@heylook/core';
import { CliError } from './cli-error.js';

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

/** The module of an installed provider, for the CLI commands that call its own exports (builds, status). */
export async function loadProviderModule<T>(providerId: string): Promise<T> {
  const { discovered } = await setUpProviders(process.cwd());
  const found = discovered.find((provider) => provider.providerId === providerId && provider.status === 'ok');
  if (!found?.load) throw new CliError(`The ${providerId} provider is not installed: add @heylook/provider-${providerId} to your project.`);
  return (await found.load()) as T;
}
