import { ModelRouter, resolveServerSettings, settingsFromEnv, settingsFromFile, type ServerSettingsInput } from '@heylook/core';
import { isLoopbackBind } from '@heylook/server-guard';
import type { CommandModule } from 'yargs';
import { CliError, parsePortFlag } from '../cli-error.js';
import { createServer, servesApi, type ApiSelection } from '../create-server.js';
import { showLoadProgress } from '../load-progress.js';
import { providerReadiness } from '../provider-readiness.js';
import { setUpProviders } from '../provider-setup.js';
import { checkModels, selectModels } from '../select-models.js';

interface ServeArgs {
  config?: string;
  model?: string[];
  host?: string;
  port?: number;
  api: ApiSelection;
  'max-loaded'?: number;
  'api-key'?: string[];
  'cors-origin'?: string[];
  'log-level'?: string;
  preload?: string;
  'keep-alive'?: string;
}

/** How long in-flight requests may run after SIGINT/SIGTERM before the process exits anyway. */
const shutdownGraceMs = 15_000;

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Start the server (OpenAI API at /v1, Ollama API at /api, Anthropic API at /v1/messages)',
  builder: (yargs) =>
    yargs
      .option('config', { type: 'string', describe: 'models.yaml to serve' })
      .option('model', { type: 'string', array: true, describe: 'serve a GGUF file or MLX/HF model folder without a config' })
      .option('host', { type: 'string', describe: 'address to bind (default 127.0.0.1)' })
      .option('port', { coerce: parsePortFlag, describe: 'port (default 8080)' })
      .option('api', { choices: ['all', 'both', 'openai', 'ollama', 'anthropic'] as const, default: 'all' as const, describe: 'which APIs to serve (both = all)' })
      .option('max-loaded', { type: 'number', describe: 'most models resident at once (default 2)' })
      .option('api-key', { type: 'string', array: true, describe: 'require this key as Bearer or x-api-key (repeatable)' })
      .option('cors-origin', { type: 'string', array: true, describe: 'also allow browser pages from this origin (repeatable, * wildcards)' })
      .option('log-level', { type: 'string', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] })
      .option('preload', { type: 'string', describe: 'model to load at start (default: default_model)' })
      .option('keep-alive', { type: 'string', describe: 'default keep-alive, e.g. 5m, 1h, -1 (default 5m)' }),
  handler: async (args) => {
    const cwd = process.cwd();
    const { registry, discovered } = await setUpProviders(cwd);
    const selection = await selectModels({
      cwd,
      registry,
      env: process.env,
      configPath: args.config,
      modelPaths: args.model,
    });
    const flags: ServerSettingsInput = {};
    if (args.host !== undefined) flags.host = args.host;
    if (args.port !== undefined) flags.port = args.port;
    if (args['max-loaded'] !== undefined) flags.maxLoadedModels = args['max-loaded'];
    if (args['api-key'] !== undefined) flags.apiKeys = args['api-key'];
    if (args['cors-origin'] !== undefined) flags.corsOrigins = args['cors-origin'];
    if (args['log-level'] !== undefined) flags.logLevel = args['log-level'];
    if (args['keep-alive'] !== undefined) flags.keepAlive = args['keep-alive'];
    const settings = resolveSettings([flags, settingsFromEnv(process.env), settingsFromFile(selection.config?.file)]);
    const warnings = [...selection.warnings, ...(await checkModels(registry, selection.models))];
    const readiness = await providerReadiness(registry, selection.models.filter((model) => model.enabled).map((model) => model.provider));
    for (const [providerId, state] of readiness) {
      if (!state.ready) warnings.push(`provider "${providerId}" cannot load models: ${state.problem}. Fix: ${state.fix}`);
    }

    const router = new ModelRouter({
      registry,
      models: selection.models,
      maxLoadedModels: settings.maxLoadedModels,
      maxQueue: settings.maxQueue,
      maxQueuePerModel: settings.maxQueuePerModel,
      keepAliveMs: settings.keepAliveMs,
      maxMemory: settings.maxMemory,
      queueTimeoutMs: settings.queueTimeoutMs,
      defaultModel: settings.defaultModel,
    });
    const pretty = process.stdout.isTTY;
    const app = await createServer({
      router,
      api: args.api,
      settings,
      logger: {
        level: settings.logLevel.toLowerCase(),
        ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname', singleLine: true } } } : {}),
      },
    });
    showLoadProgress(router);

    if (settings.apiKeys.length === 0 && !isLoopbackBind(settings.host)) {
      process.stderr.write(
        `warning: heylook is reachable from other machines (${settings.host}) without an API key; anyone who can reach this port can use it. Set --api-key or HEYLOOK_API_KEYS.\n`,
      );
    }

    let address: string;
    try {
      address = await app.listen({ host: settings.host, port: settings.port });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new CliError(`Port ${settings.port} on ${settings.host} is in use; pick another with --port.`);
      if (code === 'EACCES') throw new CliError(`Not allowed to listen on ${settings.host}:${settings.port}; use a port above 1024.`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`Cannot bind to ${settings.host}: no such address here.`);
      throw error;
    }

    const lines = [
      `heylook is listening on ${address}`,
      ...(servesApi(args.api, 'openai') ? [`  OpenAI API  ${address}/v1`] : []),
      ...(servesApi(args.api, 'ollama') ? [`  Ollama API  ${address}/api`] : []),
      ...(servesApi(args.api, 'anthropic') ? [`  Anthropic   ${address}/v1/messages`] : []),
      `  health      ${address}/health`,
      `models (from ${selection.origin}):`,
      ...selection.models.map(
        (model) => `  ${model.enabled ? '•' : '◦'} ${model.id}  [${model.provider}]  ${model.source}${model.enabled ? '' : '  (disabled)'}`,
      ),
      'providers:',
      ...registry.list().map((provider) => `  ${provider.providerId}  ${provider.source.packageName ?? ''}@${provider.source.version ?? '?'}  (${provider.source.foundIn})`),
      ...discovered.filter((provider) => provider.status !== 'ok').map((provider) => `  ! ${provider.packageName}: ${provider.problem}`),
      ...warnings.map((warning) => `warning: ${warning}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);

    const preload = args.preload ?? settings.defaultModel;
    if (preload !== undefined) {
      router.load(preload).catch((error: unknown) => app.log.error({ err: error }, `could not preload "${preload}"`));
    }

    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      app.log.info(`${signal}: finishing in-flight requests, then unloading models`);
      setTimeout(() => {
        app.log.warn('in-flight requests did not finish in time; exiting');
        process.exit(0);
      }, shutdownGraceMs).unref();
      void (async () => {
        await app.close();
        await router.close();
        process.exit(0);
      })();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    // Keep the handler pending: the server runs until a signal stops it.
    await new Promise<never>(() => undefined);
  },
};

function resolveSettings(layers: ServerSettingsInput[]) {
  try {
    return resolveServerSettings(layers);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
