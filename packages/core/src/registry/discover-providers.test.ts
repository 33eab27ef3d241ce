import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../errors/heylook-error.js';
import { createFakeProviderPlugin } from '../testing/fake-provider.js';
import { discoverProviders, isProviderPackageName, registerDiscovered } from './discover-providers.js';
import { ProviderRegistry } from './provider-registry.js';

/** Writes a provider package into <project>/node_modules/<name>. */
async function writeProviderPackage(project: string, name: string, heylook: Record<string, unknown> | undefined, source: string) {
  const dir = path.join(project, 'node_modules', ...name.split('/'));
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.2.3', type: 'module', exports: { '.': { import: './index.js' } }, ...(heylook ? { heylook } : {}) }),
  );
  await writeFile(path.join(dir, 'index.js'), source);
}

async function tempProject(dependencies: Record<string, string>) {
  const project = await mkdtemp(path.join(tmpdir(), 'heylook-discovery-'));
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'app', dependencies }));
  return project;
}

const pluginSource = (providerId: string, specificationVersion = 'v1') => `
export default {
  specificationVersion: ${JSON.stringify(specificationVersion)},
  providerId: ${JSON.stringify(providerId)},
  aliases: ['echo_alias'],
  configSchema: { safeParse: (value) => ({ success: true, data: value }) },
  create() { throw new Error('not used'); },
};
globalThis.__importedProviders = (globalThis.__importedProviders ?? 0) + 1;
`;

describe('discoverProviders', () => {
  it('matches the provider package name patterns', () => {
    expect(isProviderPackageName('@heylook/provider-gguf')).toBe(true);
    expect(isProviderPackageName('heylook-provider-echo')).toBe(true);
    expect(isProviderPackageName('@acme/heylook-provider-echo')).toBe(true);
    expect(isProviderPackageName('@heylook/provider-testkit')).toBe(false);
    expect(isProviderPackageName('@heylook/core')).toBe(false);
    expect(isProviderPackageName('left-pad')).toBe(false);
  });

  it('finds a provider in a project package.json, registers it lazily, imports on first use', async () => {
    const project = await tempProject({ '@acme/heylook-provider-echo': '^1.0.0', 'left-pad': '1.0.0' });
    await writeProviderPackage(project, '@acme/heylook-provider-echo', { specificationVersion: 'v1', providerId: 'echo', aliases: ['echo_alias'] }, pluginSource('echo'));
    const nested = path.join(project, 'src', 'deep');
    await mkdir(nested, { recursive: true });

    const discovered = await discoverProviders({ cwd: nested });
    expect(discovered).toEqual([
      expect.objectContaining({ packageName: '@acme/heylook-provider-echo', version: '1.2.3', providerId: 'echo', status: 'ok' }),
    ]);
    const registry = new ProviderRegistry();
    expect(registerDiscovered(registry, discovered)).toEqual([]);
    // The alias resolves from the package.json field alone, before anything is imported.
    expect(registry.has('echo_alias')).toBe(true);
    const before = (globalThis as { __importedProviders?: number }).__importedProviders ?? 0;
    expect(registry.list()[0]?.loaded).toBe(false);
    const plugin = await registry.get('echo_alias');
    expect(plugin.providerId).toBe('echo');
    expect((globalThis as { __importedProviders?: number }).__importedProviders).toBe(before + 1);
  });

  it('reports a mismatched specification version without importing it', async () => {
    const project = await tempProject({ 'heylook-provider-future': '1.0.0' });
    await writeProviderPackage(project, 'heylook-provider-future', { specificationVersion: 'v9', providerId: 'future' }, 'throw new Error("must not be imported")');
    const [found] = await discoverProviders({ cwd: project });
    expect(found).toMatchObject({ status: 'incompatible', problem: expect.stringContaining('"v9"; this heylook supports v1') });
    const registry = new ProviderRegistry();
    expect(registerDiscovered(registry, [found!])).toHaveLength(1);
    await expect(registry.get('future')).rejects.toMatchObject({ code: errorCodes.providerNotInstalled });
  });

  it('rejects a package whose export lies about its spec version', async () => {
    const project = await tempProject({ 'heylook-provider-liar': '1.0.0' });
    await writeProviderPackage(project, 'heylook-provider-liar', { specificationVersion: 'v1', providerId: 'liar' }, pluginSource('liar', 'v2'));
    const registry = new ProviderRegistry();
    registerDiscovered(registry, await discoverProviders({ cwd: project }));
    await expect(registry.get('liar')).rejects.toMatchObject({
      code: errorCodes.providerVersionMismatch,
      message: expect.stringContaining('heylook-provider-liar implements provider specification "v2"'),
    });
  });

  it('reports listed-but-missing packages and packages without the heylook field', async () => {
    const project = await tempProject({ 'heylook-provider-ghost': '1.0.0', 'heylook-provider-plain': '1.0.0' });
    await writeProviderPackage(project, 'heylook-provider-plain', undefined, 'export default {}');
    const found = await discoverProviders({ cwd: project });
    expect(found.map((item) => [item.packageName, item.status])).toEqual([
      ['heylook-provider-ghost', 'not-installed'],
      ['heylook-provider-plain', 'invalid'],
    ]);
  });

  it('names installed providers when one is missing', async () => {
    const registry = new ProviderRegistry();
    registry.register(createFakeProviderPlugin().plugin);
    await expect(registry.get('mlx')).rejects.toThrow(/No provider "mlx" is installed \(installed: fake\)\. Install its package, e\.g\. `npm install @heylook\/provider-mlx`/);
  });
});
