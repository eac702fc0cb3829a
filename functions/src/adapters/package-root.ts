import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The kfguard checkout or install, found from this module whether it runs from source or from a bundle. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'kfguard') return (cached = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the kfguard package root');
    dir = parent;
  }
}

export function samplePath(name: string): string {
  return join(packageRoot(), 'functions', 'samples', name);
}
