// Constrained-decoding cost on a 32k and a ~150k vocabulary (issue #13): xgrammar's WebAssembly
// build (what provider-mlx uses) against llguidance (Rust, via its Python bindings, run by
// bench/grammar-mask-llguidance.py on the very same token list, grammars and token walks).
// Measures tokenizer-info creation, grammar compilation (a nested JSON schema, and json_object)
// and per-token cost (next-token bitmask + accept) while walking a fixed valid answer.
// Run after `pnpm --filter @heylook/provider-mlx... run build`: node bench/grammar-mask.mjs
// (--runs N timed walks per grammar, default 5; --markdown prints the tables as markdown).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readGgufHeader } from '../packages/core/dist/index.js';
import { loadXgrammar } from '../packages/provider-mlx/dist/grammar/xgrammar.js';
import { installGrammarBench } from './install-grammar-bench.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argument = (name) => process.argv[process.argv.indexOf(name) + 1];
const runs = process.argv.includes('--runs') ? Number(argument('--runs')) : 5;
const markdown = process.argv.includes('--markdown');
const providerRequire = createRequire(path.join(here, '..', 'packages', 'provider-mlx', 'package.json'));
const xgrammarFile = providerRequire.resolve('@mlc-ai/web-xgrammar');
const xgrammarVersion = JSON.parse(readFileSync(path.join(xgrammarFile, '..', '..', 'package.json'), 'utf8')).version;

const orderSchema = {
  type: 'object',
  properties: {
    order_id: { type: 'string' },
    customer: {
      type: 'object',
      properties: { name: { type: 'string' }, email: { type: 'string' }, tier: { enum: ['free', 'pro', 'enterprise'] } },
      required: ['name', 'email', 'tier'],
      additionalProperties: false,
    },
    items: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: { sku: { type: 'string' }, quantity: { type: 'integer', minimum: 1 }, unit_price: { type: 'number' }, gift: { type: 'boolean' } },
        required: ['sku', 'quantity', 'unit_price', 'gift'],
        additionalProperties: false,
      },
    },
    status: { enum: ['pending', 'paid', 'shipped', 'delivered', 'cancelled'] },
    shipping: {
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' }, postal_code: { type: 'string' }, country: { type: 'string' } },
      required: ['street', 'city', 'postal_code', 'country'],
      additionalProperties: false,
    },
    tags: { type: 'array', items: { type: 'string' } },
    notes: { type: ['string', 'null'] },
  },
  required: ['order_id', 'customer', 'items', 'status', 'shipping', 'tags', 'notes'],
  additionalProperties: false,
};

// Pretty-printed, as chat models usually answer; valid against orderSchema and any-object.
const answer = JSON.stringify(
  {
    order_id: 'A-104927',
    customer: { name: 'Zoë Müller', email: 'zoe.mueller@example.com', tier: 'pro' },
    items: [
      { sku: 'KB-MECH-87', quantity: 1, unit_price: 129.99, gift: false },
      { sku: 'MOUSE-ERGO-L', quantity: 2, unit_price: 54.25, gift: true },
    ],
    status: 'shipped',
    shipping: { street: '12 Rue des Lilas', city: 'Lyon', postal_code: '69003', country: 'FR' },
    tags: ['priority', 'returning-customer', 'eu'],
    notes: 'Leave the parcel with the concierge.',
  },
  null,
  2,
);

// json_object is "any JSON object"; xgrammar's builtin JSON grammar would also allow arrays and scalars.
const grammars = { json_schema: orderSchema, json_object: { type: 'object' } };

/** GPT-2's byte-level alphabet: printable bytes stand for themselves, the rest for code points from 256 up. */
function byteLevelDecoder() {
  const decoder = new Map();
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || byte >= 174;
    decoder.set(String.fromCodePoint(printable ? byte : next++), byte);
  }
  return decoder;
}

function byteOf(decoder, character, id) {
  const byte = decoder.get(character);
  if (byte === undefined) throw new Error(`token ${id} holds ${JSON.stringify(character)}, which is not in the byte-level alphabet`);
  return byte;
}

const tokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 };

/**
 * Reads a vocab from a GGUF: the raw token strings for xgrammar ("" for special tokens, so it
 * treats them as such) and each token's bytes for the walk and for llguidance (null if special).
 */
async function loadVocabulary(name, file) {
  const { metadata } = await readGgufHeader(file, { maxArrayLength: 1_000_000 });
  const tokens = metadata['tokenizer.ggml.tokens'];
  const types = metadata['tokenizer.ggml.token_type'];
  const vocabType = metadata['tokenizer.ggml.model'] === 'gpt2' ? 'byte_level' : 'byte_fallback';
  const decoder = byteLevelDecoder();
  const bytes = tokens.map((token, id) => {
    const type = types[id];
    const looksSpecial = type === tokenType.userDefined && /^<.*>$/s.test(token);
    if (type === tokenType.control || type === tokenType.unknown || type === tokenType.unused || looksSpecial) return null;
    if (vocabType === 'byte_level') return Buffer.from([...token].map((character) => byteOf(decoder, character, id)));
    if (type === tokenType.byte) return Buffer.from([Number.parseInt(token.slice(3, 5), 16)]);
    return Buffer.from(token.replaceAll('\u2581', ' '), 'utf8');
  });
  const encoded = tokens.map((token, id) => (bytes[id] === null ? '' : token));
  return { name, vocabType, size: tokens.length, tokens, encoded, bytes, eos: metadata['tokenizer.ggml.eos_token_id'] };
}

const microseconds = (from) => (performance.now() - from) * 1000;

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (fraction) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
  return { min: sorted[0], median: at(0.5), p95: at(0.95), max: sorted.at(-1) };
}

async function timed(work) {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

// The first round in a process is much slower for xgrammar (V8 is still compiling the
// WebAssembly to optimized code), so setup steps report it apart from the median of the rest.
const setupRounds = 6;
const setupTimes = (times) => ({ first: times[0], warm: summary(times.slice(1)).median });

const allows = (mask, id) => ((mask[id >>> 5] >>> (id & 31)) & 1) === 1;

function countAllowed(mask) {
  let count = 0;
  for (let word of mask) {
    for (; word !== 0; count++) word &= word - 1;
  }
  return count;
}

/** One walk of the answer: per-token µs for mask + accept, checking each token is allowed; and how many tokens each mask allowed. */
async function walkXgrammar(module, compiled, walk, eos) {
  const matcher = await module.GrammarMatcher.createGrammarMatcher(compiled);
  const samples = [];
  let allowed = 0;
  for (const id of [...walk, eos]) {
    const started = performance.now();
    const mask = await matcher.getNextTokenBitmask();
    const accepted = matcher.acceptToken(id);
    samples.push(microseconds(started));
    if (!allows(mask, id) || !accepted) throw new Error(`xgrammar rejected token ${id} at step ${samples.length - 1}`);
    allowed += countAllowed(mask);
  }
  if (!matcher.isTerminated()) throw new Error('xgrammar did not terminate after the stop token');
  matcher.dispose();
  return { samples, meanAllowed: allowed / samples.length };
}

async function benchXgrammar(vocabulary, walks) {
  const module = loadXgrammar();
  const infoTimes = [];
  let info;
  for (let round = 0; round < setupRounds; round++) {
    info?.dispose();
    const { value, ms } = await timed(() => module.TokenizerInfo.createTokenizerInfo(vocabulary.encoded, vocabulary.vocabType, false, vocabulary.size, [vocabulary.eos]));
    info = value;
    infoTimes.push(ms);
  }
  // No compile cache, so every round compiles from scratch.
  const compiler = await module.GrammarCompiler.createGrammarCompiler(info, false);
  const results = {};
  for (const [grammarName, schema] of Object.entries(grammars)) {
    const compileTimes = [];
    let compiled;
    for (let round = 0; round < setupRounds; round++) {
      compiled?.dispose();
      const { value, ms } = await timed(() => compiler.compileJSONSchema(JSON.stringify(schema)));
      compiled = value;
      compileTimes.push(ms);
    }
    const walk = walks[grammarName];
    const cold = await walkXgrammar(module, compiled, walk, vocabulary.eos);
    const samples = [];
    for (let run = 0; run < runs; run++) samples.push(...(await walkXgrammar(module, compiled, walk, vocabulary.eos)).samples);
    results[grammarName] = {
      compileMs: setupTimes(compileTimes),
      coldWalkMs: cold.samples.reduce((a, b) => a + b, 0) / 1000,
      perToken: summary(samples),
      meanAllowed: cold.meanAllowed,
    };
    compiled.dispose();
  }
  compiler.dispose();
  info.dispose();
  return { tokenizerInfoMs: setupTimes(infoTimes), grammars: results };
}

/**
 * Runs the llguidance half. It also picks the walks: at each step the longest token that
 * continues the answer among those llguidance allows, because llguidance allows only the
 * tokenizer's own tokenization of text the grammar forces (xgrammar allows any), so a walk it
 * accepts is one xgrammar accepts too, not the other way round.
 */
function benchLlguidance(vocabulary, llguidancePath) {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'heylook-grammar-'));
  try {
    const job = path.join(folder, 'job.json');
    const tokens = vocabulary.bytes.map((bytes, id) => (bytes === null ? { special: vocabulary.tokens[id] } : bytes.toString('hex')));
    const byteFallback = vocabulary.tokens.flatMap((token, id) => (vocabulary.vocabType === 'byte_fallback' && /^<0x[0-9A-F]{2}>$/.test(token) ? [id] : []));
    writeFileSync(job, JSON.stringify({ tokens, byteFallback, eos: vocabulary.eos, answer, runs, grammars }));
    const output = execFileSync('python3', [path.join(here, 'grammar-mask-llguidance.py'), job], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: llguidancePath },
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(output);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const format = (value) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
const ratio = (xgrammarValue, llguidanceValue) => `${(xgrammarValue / llguidanceValue).toFixed(2)}×`;

function printTable(title, header, rows) {
  if (markdown) {
    console.log(`\n**${title}**\n`);
    console.log(`| ${header.join(' | ')} |`);
    console.log(`|${header.map((_, index) => (index === 0 ? '---' : '---:')).join('|')}|`);
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  } else {
    console.log(`\n${title}`);
    const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => String(row[index]).length)));
    for (const row of [header, ...rows]) console.log(row.map((cell, index) => String(cell).padStart(widths[index])).join('  '));
  }
}

const { llguidancePath, vocabularyFolder } = installGrammarBench();
const files = [
  ['phi-3 (32k, SentencePiece)', path.join(here, '..', 'models', 'ggml-vocab-phi-3.gguf')],
  ['llama-3 (128k, byte-level BPE)', path.join(vocabularyFolder, 'ggml-vocab-llama-bpe.gguf')],
  ['qwen2 (152k, byte-level BPE)', path.join(vocabularyFolder, 'ggml-vocab-qwen2.gguf')],
];

const setupRows = [];
const tokenRows = [];
const coldRows = [];
let versions;
for (const [name, file] of files) {
  const vocabulary = await loadVocabulary(name, file);
  const theirs = benchLlguidance(vocabulary, llguidancePath);
  const ours = await benchXgrammar(vocabulary, theirs.walks);
  console.error(`${name}: ${vocabulary.size} tokens (${vocabulary.vocabType}); answer = ${Object.values(theirs.walks).map((walk) => walk.length).join('/')} tokens + stop`);
  versions = theirs.versions;
  const setupRow = (step, x, l) => [name, step, format(x.first), format(l.first), format(x.warm), format(l.warm), ratio(x.warm, l.warm)];
  setupRows.push(setupRow('tokenizer info', ours.tokenizerInfoMs, theirs.tokenizerInfoMs));
  for (const grammarName of Object.keys(grammars)) {
    const x = ours.grammars[grammarName];
    const l = theirs.grammars[grammarName];
    setupRows.push(setupRow(`compile ${grammarName}`, x.compileMs, l.compileMs));
    coldRows.push([name, grammarName, theirs.walks[grammarName].length + 1, format(x.coldWalkMs), format(l.coldWalkMs), ratio(x.coldWalkMs, l.coldWalkMs), format(x.meanAllowed), format(l.meanAllowed)]);
    const cells = (stats) => ['min', 'median', 'p95', 'max'].map((key) => format(stats[key]));
    tokenRows.push([name, grammarName, ...cells(x.perToken), ...cells(l.perToken), ratio(x.perToken.median, l.perToken.median), ratio(x.perToken.p95, l.perToken.p95)]);
  }
}

console.log(`xgrammar: @mlc-ai/web-xgrammar ${xgrammarVersion} (WebAssembly, Node ${process.versions.node}); llguidance ${versions.llguidance} (Python ${versions.python}); ${os.cpus().length} cores; ${runs} timed walks per grammar after one cold walk`);
printTable(`Setup (ms): the first round, then the median of ${setupRounds - 1} more; xgrammar compiles with its cache off`, ['vocabulary', 'step', 'xg first', 'll first', 'xg', 'll', 'x/l'], setupRows);
printTable('Per token while walking the answer: next-token bitmask + accept (µs)', ['vocabulary', 'grammar', 'xg min', 'xg median', 'xg p95', 'xg max', 'll min', 'll median', 'll p95', 'll max', 'median x/l', 'p95 x/l'], tokenRows);
printTable('First walk after compile (ms for the whole answer, incl. lazy work) and mean tokens allowed per step', ['vocabulary', 'grammar', 'tokens', 'xgrammar', 'llguidance', 'x/l', 'xg allowed/step', 'll allowed/step'], coldRows);
