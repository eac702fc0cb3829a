import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

/**
 * infra/toolbox/cloudbuild.yaml against Cloud Build's substitution rules
 * (https://cloud.google.com/build/docs/configuring-builds/substitute-variable-values): user-defined
 * substitutions start with `_` and use only uppercase letters and digits, and a substitution whose
 * value refers to another variable is expanded only with `options.dynamicSubstitutions: true`
 * (otherwise `gcloud builds submit` without `--substitutions` tags the image `${PROJECT_ID}` literally).
 */
interface BuildConfig {
  substitutions?: Record<string, string>;
  steps: unknown[];
  images?: string[];
  options?: { dynamicSubstitutions?: boolean };
}

const USER_SUBSTITUTION = /^_[A-Z0-9_]+$/;
const VARIABLE_REFERENCE = /\$\{?([A-Z_][A-Z0-9_]*)/g;

function referencedVariables(text: string): string[] {
  return [...text.matchAll(VARIABLE_REFERENCE)].map((match) => match[1]!);
}

/** Substitutions whose default names another variable but would be used as written. */
function unexpandedSubstitutions(config: BuildConfig): string[] {
  if (config.options?.dynamicSubstitutions === true) return [];
  return Object.entries(config.substitutions ?? {}).flatMap(([key, value]) => (referencedVariables(value).length > 0 ? [key] : []));
}

function usedUserSubstitutions(config: BuildConfig): string[] {
  const text = JSON.stringify([config.steps, config.images ?? []]);
  return [...new Set(referencedVariables(text).filter((name) => name.startsWith('_')))].sort();
}

const toolbox = parseYaml(readFileSync('infra/toolbox/cloudbuild.yaml', 'utf8')) as BuildConfig;

describe('the toolbox image build config', () => {
  it('expands every substitution default that refers to another variable', () => {
    expect(unexpandedSubstitutions(toolbox)).toEqual([]);
  });

  it('declares a default for every user substitution its steps and images use, and no other', () => {
    const declared = Object.keys(toolbox.substitutions ?? {});
    for (const key of declared) expect(key).toMatch(USER_SUBSTITUTION);
    expect(usedUserSubstitutions(toolbox)).toEqual(declared.sort());
  });

  it('tags the image in the functions’ regional repository of the project it builds in', () => {
    expect(toolbox.substitutions?.['_IMAGE']).toMatch(/^[a-z0-9-]+-docker\.pkg\.dev\/\$\{PROJECT_ID\}\/kfguard\/toolbox:/);
    expect(toolbox.images).toEqual(['${_IMAGE}']);
  });
});

describe('the substitution rule itself', () => {
  const config: BuildConfig = { substitutions: { _IMAGE: 'r/${PROJECT_ID}/x', _TAG: 'latest' }, steps: ['${_IMAGE}:${_TAG}'] };

  it('names a default that refers to another variable unless dynamic substitutions are on', () => {
    expect(unexpandedSubstitutions(config)).toEqual(['_IMAGE']);
    expect(unexpandedSubstitutions({ ...config, options: { dynamicSubstitutions: true } })).toEqual([]);
  });

  it('finds the user substitutions used in $X and ${X} form, not built-in ones', () => {
    expect(usedUserSubstitutions({ steps: ['$_A ${_B} ${PROJECT_ID} $BUILD_ID'] })).toEqual(['_A', '_B']);
  });
});
