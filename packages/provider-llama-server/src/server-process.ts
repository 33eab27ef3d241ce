import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { abortError, errorCodes, HeylookError, type LoadProgress, type ProviderLogger } from '@heylook/core';

export interface StartOptions {
  binary: string;
  /** llama-server arguments, without --host/--port (added here). */
  args: string[];
  logger: ProviderLogger;
  modelId: string;
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
  timeoutMs: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Children still running, killed synchronously if heylook exits without unloading them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Log lines that say how far loading got, for load progress. */
const progressMarks: [RegExp, number, string][] = [
  [/llama_model_loader|loading model/i, 0.2, 'reading the model'],
  [/load_tensors/i, 0.5, 'loading tensors'],
  [/llama_context|initializing slots|init:/i, 0.8, 'creating the context'],
];

/**
 * One llama-server child on 127.0.0.1 and a free port. It gets its own process group (so a stop
 * reaches anything it spawned) and, on Linux, a parent-death signal (so it dies with heylook even
 * when heylook is SIGKILLed); a normal heylook exit kills it from an exit hook.
 */
export class LlamaServerProcess {
  readonly #child: ChildProcess;
  readonly #logTail: string[] = [];
  #exit: ExitInfo | undefined;
  readonly #exited: Promise<ExitInfo>;
  #stopping = false;

  private constructor(
    child: ChildProcess,
    readonly port: number,
    private readonly options: StartOptions,
  ) {
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        live.delete(child);
        if (!this.#stopping) options.logger.warn('llama-server exited', { modelId: options.modelId, code, signal });
        resolve(this.#exit);
      });
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The llama-server's process id (setpriv execs it, so this is the server itself). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Set once the process has exited, for whatever reason. */
  get exitInfo(): ExitInfo | undefined {
    return this.#exit;
  }

  get exited(): Promise<ExitInfo> {
    return this.#exited;
  }

  get logger(): ProviderLogger {
    return this.options.logger;
  }

  /** The last lines llama-server logged, for error messages. */
  get logTail(): string {
    return this.#logTail.join('\n');
  }

  /** Spawns llama-server and resolves once /health says the model is loaded. */
  static async start(options: StartOptions): Promise<LlamaServerProcess> {
    // A port picked here can be taken before llama-server binds it; retry once with a new one.
    for (let attempt = 1; ; attempt++) {
      const server = LlamaServerProcess.#spawn(options, await freePort());
      try {
        await server.#waitHealthy();
        return server;
      } catch (error) {
        await server.stop();
        const portTaken = /bind|address already in use/i.test(server.logTail);
        if (attempt >= 2 || !portTaken || options.signal?.aborted) throw error;
      }
    }
  }

  static #spawn(options: StartOptions, port: number): LlamaServerProcess {
    const args = [...options.args, '--host', '127.0.0.1', '--port', String(port)];
    const [command, commandArgs] = withParentDeathSignal(options.binary, args);
    options.logger.debug('starting llama-server', { modelId: options.modelId, command, args: commandArgs });
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    live.add(child);
    installExitHook();
    const server = new LlamaServerProcess(child, port, options);
    options.onProgress?.({ fraction: 0.05, message: 'starting llama-server' });
    let reached = 0.05;
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      const lines = (buffered + chunk.toString('utf8')).split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        options.logger.debug(line, { modelId: options.modelId, source: 'llama-server' });
        server.#logTail.push(line);
        if (server.#logTail.length > 30) server.#logTail.shift();
        for (const [pattern, fraction, message] of progressMarks) {
          if (fraction > reached && pattern.test(line)) {
            reached = fraction;
            options.onProgress?.({ fraction, message });
          }
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', (error) => {
      server.#logTail.push(`spawn failed: ${error.message}`);
      // 'exit' does not follow a failed spawn; resolve `exited` through the same path.
      child.emit('exit', null, null);
    });
    return server;
  }

  async #waitHealthy(): Promise<void> {
    const { signal, timeoutMs, modelId } = this.options;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      if (this.#exit) {
        throw new HeylookError(
          errorCodes.loadFailed,
          `llama-server for "${modelId}" exited while loading (${describeExit(this.#exit)}):\n${this.logTail}`,
        );
      }
      if (Date.now() > deadline) {
        throw new HeylookError(errorCodes.loadFailed, `llama-server for "${modelId}" was not ready after ${timeoutMs / 1000} s (load_timeout):\n${this.logTail}`);
      }
      try {
        const response = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
        await response.body?.cancel();
        if (response.ok) {
          this.options.onProgress?.({ fraction: 1, message: 'ready' });
          return;
        }
      } catch {
        // Not listening yet.
      }
      await Promise.race([delay(50), this.#exited]);
    }
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the server is gone. */
  async stop(graceMs = 5000): Promise<void> {
    this.#stopping = true;
    if (this.#exit) return;
    signalGroup(this.#child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(this.#child, 'SIGKILL'), graceMs);
    try {
      await this.#exited;
    } finally {
      clearTimeout(timer);
    }
    // Anything the server spawned into its group goes too.
    signalGroup(this.#child, 'SIGKILL');
  }
}

export function describeExit(exit: ExitInfo): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform === 'win32') child.kill(signal);
    else process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

let setprivAvailable: boolean | undefined;

/**
 * On Linux, run the server through util-linux's `setpriv --pdeathsig SIGKILL`: the kernel then
 * kills it when heylook dies, even by SIGKILL, which no exit hook can catch. setpriv execs the
 * server, so the child's pid is the server's.
 */
function withParentDeathSignal(binary: string, args: string[]): [string, string[]] {
  if (process.platform !== 'linux') return [binary, args];
  setprivAvailable ??= spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;
  return setprivAvailable ? ['setpriv', ['--pdeathsig', 'SIGKILL', '--', binary, ...args]] : [binary, args];
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) signalGroup(child, 'SIGKILL');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
