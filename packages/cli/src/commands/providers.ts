import type { CommandModule } from 'yargs';
import { formatTable } from '../format-table.js';
import { setUpProviders } from '../provider-setup.js';

/** heylook providers — installed providers and whether they can be used. */
export const providersCommand: CommandModule = {
  command: 'providers',
  describe: 'List installed providers',
  handler: async () => {
    const { discovered } = await setUpProviders(process.cwd());
    const rows = discovered.map((provider) => [
      provider.providerId ?? '-',
      provider.packageName,
      provider.version ?? '-',
      provider.specificationVersion ?? '-',
      provider.foundIn,
      provider.status === 'ok' ? 'ok' : `${provider.status}: ${provider.problem ?? ''}`,
    ]);
    process.stdout.write(`${formatTable(['ID', 'PACKAGE', 'VERSION', 'SPEC', 'FOUND IN', 'STATUS'], rows)}\n`);
  },
};
