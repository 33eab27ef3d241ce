import type { CommandModule } from 'yargs';
import { formatTable } from '../format-table.js';
import { describeReadiness, providerReadiness } from '../provider-readiness.js';
import { setUpProviders } from '../provider-setup.js';

/** heylook providers — installed providers and whether they can be used. */
export const providersCommand: CommandModule = {
  command: 'providers',
  describe: 'List installed providers',
  handler: async () => {
    const { discovered, registry } = await setUpProviders(process.cwd());
    const usable = discovered.filter((provider) => provider.status === 'ok' && provider.providerId !== undefined);
    const readiness = await providerReadiness(registry, usable.map((provider) => provider.providerId!));
    const rows = discovered.map((provider) => [
      provider.providerId ?? '-',
      provider.packageName,
      provider.version ?? '-',
      provider.specificationVersion ?? '-',
      provider.foundIn,
      provider.status === 'ok' ? describeReadiness(readiness.get(provider.providerId!)) : `${provider.status}: ${provider.problem ?? ''}`,
    ]);
    if (rows.length === 0) {
      process.stdout.write('No providers found: add one to your package.json, e.g. `npm install @heylook/provider-gguf`.\n');
      return;
    }
    process.stdout.write(`${formatTable(['ID', 'PACKAGE', 'VERSION', 'SPEC', 'FOUND IN', 'STATUS'], rows)}\n`);
  },
};
