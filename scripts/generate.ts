// Writes the files generated from the code (`npm run generate`); tests fail when they are stale.
import { writeFileSync } from 'node:fs';
import { renderRulesDoc } from '../functions/src/core/report/rules-doc.js';
import { ALL_RULES } from '../functions/src/core/rules/index.js';
import { renderTerraformNames } from '../functions/src/core/pipeline/terraform-names.js';

export const GENERATED: Record<string, () => string> = {
  'docs/rules.md': () => renderRulesDoc(ALL_RULES),
  'infra/modules/kfguard/names.tf.json': renderTerraformNames,
};

if (process.argv[1]?.endsWith('generate.ts')) {
  for (const [path, render] of Object.entries(GENERATED)) writeFileSync(path, render());
}
