import { errorCodes, HeylookError } from '../errors/heylook-error.js';
import { isProviderPlugin, supportedSpecificationVersions, type ProviderPlugin } from '../provider/base-provider.js';

export interface ProviderSource {
  /** npm package the plugin came from, when it came from one. */
  packageName?: string;
  version?: string;
  /** Where it was found ("registered in code", "package.json of /app"). */
  foundIn: string;
}

interface Registration {
  providerId: string;
  aliases: readonly string[];
  source: ProviderSource;
  /** Loaded plugin, or a promise of it while the package is being imported. */
  plugin?: ProviderPlugin;
  load?: () => Promise<unknown>;
  loading?: Promise<ProviderPlugin>;
}

export interface ProviderListing {
  providerId: string;
  aliases: readonly string[];
  source: ProviderSource;
  loaded: boolean;
}

/** Maps provider ids and aliases (`llama_cpp` → `gguf`) to plugins. Packages are imported lazily. */
export class ProviderRegistry {
  readonly #byId = new Map<string, Registration>();
  readonly #aliases = new Map<string, string>();

  /** Registers a plugin object. Throws HEYLOOK_PROVIDER_VERSION_MISMATCH for a spec core doesn't know. */
  register(plugin: ProviderPlugin, source: ProviderSource = { foundIn: 'registered in code' }): void {
    assertPlugin(plugin, source);
    this.#add({ providerId: plugin.providerId, aliases: plugin.aliases ?? [], source, plugin });
  }

  /**
   * Registers a provider whose package is imported only when a model needs it. The id and
   * aliases come from the package's `heylook` field, so nothing is imported to list it.
   */
  registerLazy(
    providerId: string,
    aliases: readonly string[],
    source: ProviderSource,
    load: () => Promise<unknown>,
  ): void {
    this.#add({ providerId, aliases, source, load });
  }

  has(idOrAlias: string): boolean {
    return this.#registration(idOrAlias) !== undefined;
  }

  /** The plugin for an id or alias, importing its package on first use. */
  async get(idOrAlias: string): Promise<ProviderPlugin> {
    const registration = this.#registration(idOrAlias);
    if (!registration) {
      const known = [...this.#byId.keys()];
      throw new HeylookError(
        errorCodes.providerNotInstalled,
        `No provider "${idOrAlias}" is installed${known.length ? ` (installed: ${known.join(', ')})` : ''}. ` +
          `Install its package, e.g. \`npm install @heylook/provider-${idOrAlias}\`, and add it to your project's package.json.`,
      );
    }
    if (registration.plugin) return registration.plugin;
    registration.loading ??= this.#import(registration);
    return registration.loading;
  }

  list(): ProviderListing[] {
    return [...this.#byId.values()].map((registration) => ({
      providerId: registration.providerId,
      aliases: registration.aliases,
      source: registration.source,
      loaded: registration.plugin !== undefined,
    }));
  }

  async #import(registration: Registration): Promise<ProviderPlugin> {
    try {
      const module = (await registration.load!()) as { default?: unknown };
      const plugin = module.default ?? module;
      assertPlugin(plugin, registration.source);
      if (plugin.providerId !== registration.providerId) {
        throw new HeylookError(
          errorCodes.providerVersionMismatch,
          `${registration.source.packageName} says providerId "${registration.providerId}" in package.json but exports "${plugin.providerId}".`,
        );
      }
      registration.plugin = plugin;
      return plugin;
    } catch (error) {
      registration.loading = undefined;
      throw error;
    }
  }

  #add(registration: Registration): void {
    const existing = this.#byId.get(registration.providerId);
    if (existing && existing.source.packageName !== registration.source.packageName) {
      // The first registration wins: code-registered plugins come before discovered ones.
      return;
    }
    this.#byId.set(registration.providerId, registration);
    for (const alias of registration.aliases) this.#aliases.set(alias, registration.providerId);
  }

  #registration(idOrAlias: string): Registration | undefined {
    return this.#byId.get(idOrAlias) ?? this.#byId.get(this.#aliases.get(idOrAlias) ?? '');
  }
}

function assertPlugin(plugin: unknown, source: ProviderSource): asserts plugin is ProviderPlugin {
  const from = source.packageName ?? source.foundIn;
  if (!isProviderPlugin(plugin)) {
    throw new HeylookError(
      errorCodes.providerVersionMismatch,
      `${from} does not default-export a heylook provider plugin ({ specificationVersion, providerId, configSchema, create }).`,
    );
  }
  if (!(supportedSpecificationVersions as readonly string[]).includes(plugin.specificationVersion)) {
    throw new HeylookError(
      errorCodes.providerVersionMismatch,
      `${from} implements provider specification "${plugin.specificationVersion}", but this heylook supports ${supportedSpecificationVersions.join(', ')}. ` +
        'Install a version of the provider made for this heylook, or upgrade heylook.',
    );
  }
}
