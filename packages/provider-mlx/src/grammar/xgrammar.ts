import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as XgrammarModule from '@mlc-ai/web-xgrammar';

export type Xgrammar = typeof XgrammarModule;

let loaded: Xgrammar | undefined;

/**
 * xgrammar's WebAssembly build (the engine behind vLLM's and MLC's structured output).
 * The package ships a UMD bundle under `"type": "module"`, so Node's `import` sees an ES
 * module without exports and `require` refuses it; run it as the CommonJS script it is.
 */
export function xgrammar(): Xgrammar {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@mlc-ai/web-xgrammar');
  const module = { exports: {} as Xgrammar };
  new Function('exports', 'module', 'require', '__filename', '__dirname', readFileSync(file, 'utf8'))(module.exports, module, require, file, file);
  loaded = module.exports;
  return loaded;
}
