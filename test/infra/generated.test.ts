import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED } from '../../scripts/generate.js';

describe('files generated from the code (npm run generate)', () => {
  it.each(Object.keys(GENERATED))('%s is up to date', (path) => {
    expect(readFileSync(path, 'utf8')).toBe(GENERATED[path]!());
  });
});
