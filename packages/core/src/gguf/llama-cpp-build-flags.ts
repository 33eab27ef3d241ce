import { spawnSync } from 'node:child_process';
import { arch, platform } from 'node:os';

/**
 * Extra C/C++ compiler flags for building llama.cpp (node-llama-cpp's v0.4.0 source) natively
 * on this machine. On x86-64 CPUs with AMX, GGML_NATIVE compiles ggml's AMX matrix kernels, and
 * the first Q8_0 matrix product dies with SIGILL on `tilezero` in its Q8_0 kernel (seen on a
 * Sapphire Rapids Xeon where AMX is enabled and granted: a probe that configures a tile works). So AMX
 * is compiled out; AVX-512/VNNI stay. Empty where it does not apply or the compiler lacks the flags.
 */
export function llamaCppBuildFlags(): string[] {
  if (arch() !== 'x64' || platform() === 'win32') return [];
  const flags = ['-mno-amx-tile', '-mno-amx-int8', '-mno-amx-bf16'];
  const probe = spawnSync('cc', [...flags, '-E', '-x', 'c', '-'], { input: '', stdio: ['pipe', 'ignore', 'ignore'] });
  return probe.status === 0 ? flags : [];
}
