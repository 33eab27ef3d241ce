#!/usr/bin/env node
// Builds llama-server + rpc-server into the heylook cache (see buildLlamaServer). CI calls this
// through scripts/build-llama-server.sh; users get it as `heylook llama-server build`.
import { buildLlamaServer } from '../build/build-llama-server.js';

const args = process.argv.slice(2);
const jobsArg = args.find((a) => a.startsWith('--jobs='));
try {
  const build = await buildLlamaServer({
    force: args.includes('--force'),
    ...(jobsArg ? { jobs: Number(jobsArg.slice('--jobs='.length)) } : {}),
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  // stdout carries only the result, so scripts can read the binary path.
  process.stdout.write(`${JSON.stringify(build)}\n`);
} catch (error) {
  process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
