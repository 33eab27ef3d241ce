import { availableParallelism } from 'node:os';

/**
 * A compute engine that runs on the CPU cores of this process (llama.cpp's thread pool, the BLAS
 * threads under MLX), as registered with `CpuShare`.
 */
export interface CpuEngine {
  /** The engine starts a piece of work (a generation); call the returned function when it ends. */
  begin(): () => void;
  /** Runs `job` as one piece of work: begin, then end when it settles. */
  work<T>(job: () => Promise<T>): Promise<T>;
  /** The engine is gone (its package unloaded its last model): it no longer counts. */
  dispose(): void;
}

interface Engine {
  name: string;
  /** Told how many threads to use: a number while others work too, undefined for its own choice. */
  apply: (threads: number | undefined) => void;
  /** Pieces of work under way. */
  working: number;
  /** What `apply` was last told. */
  applied: number | undefined;
}

/**
 * Engines in one process each size their threads for the whole machine. Two of them working at
 * the same time then run twice as many threads as there are cores, and their threads spin-wait
 * for each other: a GGUF model beside an MLX model on OpenBLAS decoded at 0.05× and 0.12× of
 * their speeds alone on two cores (bench/multi-model.mjs). Each engine registers here and says
 * when it works; while more than one works, each working engine is told to use its share of the
 * cores, and its own choice again once it works alone.
 *
 * An engine shares among its own models itself (node-llama-cpp splits its thread budget between
 * contexts): register one engine per library, not per model.
 */
export class CpuShare {
  readonly #engines = new Set<Engine>();

  constructor(readonly cores: number = availableParallelism()) {}

  register(name: string, apply: (threads: number | undefined) => void): CpuEngine {
    const engine: Engine = { name, apply, working: 0, applied: undefined };
    this.#engines.add(engine);
    const begin = () => {
      engine.working += 1;
      if (engine.working === 1) this.#update();
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        engine.working -= 1;
        if (engine.working === 0) this.#update();
      };
    };
    return {
      begin,
      work: async (job) => {
        const end = begin();
        try {
          return await job();
        } finally {
          end();
        }
      },
      dispose: () => {
        this.#engines.delete(engine);
        this.#update();
      },
    };
  }

  /** Each registered engine: its pieces of work under way, and the threads it was last told (undefined: its own choice). */
  snapshot(): { name: string; working: number; threads: number | undefined }[] {
    return [...this.#engines].map(({ name, working, applied }) => ({ name, working, threads: applied }));
  }

  /** The threads each working engine is told to use now (undefined: each its own choice). */
  share(): number | undefined {
    const working = [...this.#engines].filter((engine) => engine.working > 0).length;
    return working > 1 ? Math.max(1, Math.floor(this.cores / working)) : undefined;
  }

  #update(): void {
    const share = this.share();
    for (const engine of this.#engines) {
      const threads = engine.working > 0 ? share : undefined;
      if (threads === engine.applied) continue;
      engine.applied = threads;
      engine.apply(threads);
    }
  }
}

const key = Symbol.for('heylook.cpuShare');

/**
 * The process's `CpuShare`. Kept on globalThis, so providers that resolved two copies of this
 * package still share one.
 */
export function cpuShare(): CpuShare {
  const global = globalThis as { [key]?: CpuShare };
  global[key] ??= new CpuShare();
  return global[key];
}
