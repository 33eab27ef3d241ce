import { readFileSync } from 'node:fs';
import nodeModule, { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import type * as XgrammarModule from '@mlc-ai/web-xgrammar';

export type Xgrammar = typeof XgrammarModule;

/** Where an instance prints (xgrammar prints the reason before it aborts). */
export type XgrammarLog = Pick<Console, 'log' | 'warn' | 'error'>;

let source: { file: string; text: string } | undefined;

/**
 * The bundle's source, its one dynamic import (emscripten's glue fetching node:module) turned
 * into a parameter: a script run through node:vm has no loader for dynamic imports.
 */
function readSource(file: string): { file: string; text: string } {
  const text = readFileSync(file, 'utf8');
  const dynamicImport = "await import('module')";
  if (!text.includes(dynamicImport)) throw new Error(`${file} is not the xgrammar build heylook knows: it lacks ${dynamicImport}.`);
  return { file, text: text.replace(dynamicImport, 'nodeModule') };
}

/**
 * A fresh instance of xgrammar's WebAssembly build (the engine behind vLLM's and MLC's
 * structured output), with its own memory. The package ships a UMD bundle under
 * `"type": "module"`, so Node's `import` sees an ES module without exports and `require`
 * refuses it: run it as the CommonJS script it is. xgrammar aborts its whole instance on a
 * schema it can't convert, which is why callers may need more than one.
 */
export function loadXgrammar(log: XgrammarLog = console): Xgrammar {
  const require = createRequire(import.meta.url);
  source ??= readSource(require.resolve('@mlc-ai/web-xgrammar'));
  const module = { exports: {} as Xgrammar };
  const run = new vm.Script(`(function (exports, module, require, __filename, __dirname, console, nodeModule) {${source.text}\n})`, { filename: source.file });
  (run.runInThisContext() as (...args: unknown[]) => void)(module.exports, module, require, source.file, path.dirname(source.file), { ...console, ...log }, nodeModule);
  return module.exports;
}
