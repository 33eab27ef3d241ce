import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of the installed package `name`, found from its resolved entry point
 * (`import.meta.resolve(name)` in the package that depends on it): for packages whose
 * `exports` leave out package.json, so it cannot be resolved directly.
 */
export function findPackageDir(entry: string, name: string): string {
  let dir = dirname(entry.startsWith('file:') ? fileURLToPath(entry) : entry);
  while (!isPackageDir(dir, name)) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`the ${name} package folder was not found above ${entry}`);
    dir = parent;
  }
  return dir;
}

function isPackageDir(dir: string, name: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === name;
  } catch {
    return false;
  }
}
