// Prepares what bench/grammar-mask.mjs needs, offline and idempotently, in the cache folder
// bench/install-mlx-lm.mjs uses ($HEYLOOK_CACHE or ~/.cache/heylook):
// - Python llguidance, pinned, in a folder keyed by the pinned versions;
// - llama.cpp's vocab-only GGUFs for the ~150k and ~128k vocabularies, taken from the git
//   bundle of llama.cpp's source that node-llama-cpp's npm package ships (no download),
//   in a folder keyed by the bundle's commit.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const packages = ['llguidance==1.9.1', 'numpy==2.4.6'];
const vocabularies = ['ggml-vocab-qwen2.gguf', 'ggml-vocab-llama-bpe.gguf'];
const cache = process.env.HEYLOOK_CACHE ?? path.join(os.homedir(), '.cache', 'heylook');
export const llguidancePath = path.join(cache, `llguidance-${packages.map((spec) => spec.split('==')[1]).join('-')}`);

function installLlguidance() {
  const stamp = path.join(llguidancePath, '.heylook-installed');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === packages.join(' ')) return;
  execFileSync('python3', ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--target', llguidancePath, '--upgrade', ...packages], { stdio: 'inherit' });
  writeFileSync(stamp, packages.join(' '));
}

/** node-llama-cpp's package folder, found from the provider that depends on it (its exports hide package.json). */
function llamaCppBundle() {
  const require = createRequire(path.join(here, '..', 'packages', 'provider-gguf', 'package.json'));
  let folder = path.dirname(require.resolve('node-llama-cpp'));
  while (!existsSync(path.join(folder, 'package.json'))) folder = path.dirname(folder);
  const bundle = path.join(folder, 'llama', 'gitRelease.bundle');
  if (!existsSync(bundle)) throw new Error(`node-llama-cpp ships no llama.cpp source bundle at ${bundle}; run pnpm install first.`);
  return bundle;
}

function extractVocabularies() {
  const bundle = llamaCppBundle();
  const commit = execFileSync('git', ['bundle', 'list-heads', bundle], { encoding: 'utf8' }).split(' ')[0];
  const folder = path.join(cache, `llama-cpp-vocab-${commit.slice(0, 12)}`);
  if (vocabularies.every((name) => existsSync(path.join(folder, name)))) return folder;
  const clone = mkdtempSync(path.join(os.tmpdir(), 'heylook-llama-cpp-'));
  try {
    execFileSync('git', ['clone', '-q', '--no-checkout', bundle, clone], { stdio: 'inherit' });
    mkdirSync(folder, { recursive: true });
    for (const name of vocabularies) {
      const bytes = execFileSync('git', ['-C', clone, 'show', `HEAD:models/${name}`], { maxBuffer: 64 * 1024 * 1024 });
      writeFileSync(path.join(folder, name), bytes);
    }
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
  return folder;
}

/** Returns the llguidance install folder (for PYTHONPATH) and the folder holding the extracted GGUFs. */
export function installGrammarBench() {
  installLlguidance();
  return { llguidancePath, vocabularyFolder: extractVocabularies() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { vocabularyFolder } = installGrammarBench();
  console.log(`llguidance ready in ${llguidancePath}; vocabularies in ${vocabularyFolder}`);
}
