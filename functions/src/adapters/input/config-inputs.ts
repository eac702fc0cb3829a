import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { emptyNetworkConfig, type ConfigRejection, type NetworkConfig } from '../../core/config/specs.js';
import { addManifestText } from '../../core/config/manifests.js';
import { addExportDocument } from '../../core/config/gcloud.js';
import { finalizeConfig } from '../../core/config/finalize.js';
import type { ConfigSink } from '../../core/config/kube.js';
import { InputError, readTextFile } from './files.js';
import { jsonLocator, syntaxErrorLine } from './json-tokens.js';

export interface ConfigInputs {
  /** YAML files or folders: kustomize build output, kpt packages. */
  manifests?: string[];
  /** JSON exports from gcloud and kubectl, files or folders. */
  gcloud?: string[];
}

export interface LoadedConfig {
  config: NetworkConfig;
  rejected: ConfigRejection[];
}

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', '.build']);

/** Files under a path with one of the extensions, in a stable order; a file is taken as it is. */
async function filesUnder(path: string, extensions: RegExp): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new InputError(`cannot read ${path}: no such file or directory`);
  }
  if (!info.isDirectory()) return [path];
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || SKIPPED_DIRECTORIES.has(entry.name)) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (extensions.test(entry.name)) found.push(full);
    }
  };
  await walk(path);
  return found;
}

/** JSON exports and YAML manifests are told apart by content: JSON starts with `[` or `{`. */
function addFile(text: string, file: string, sink: ConfigSink): void {
  if (!/^\s*[[{]/.test(text)) {
    addManifestText(text, file, { ...sink, kind: 'manifest' });
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    sink.reject(`${file}:${syntaxErrorLine(text)}`, `invalid JSON: ${(error as Error).message}`);
    return;
  }
  addExportDocument(value, jsonLocator(text, file), { ...sink, kind: 'export' });
}

/** Reads manifests and exports in any mix into one network config; bad documents are rejected, not fatal. */
export async function loadNetworkConfig(inputs: ConfigInputs): Promise<LoadedConfig> {
  const rejected: ConfigRejection[] = [];
  const sink: ConfigSink = { config: emptyNetworkConfig(), reject: (source, reason) => rejected.push({ source, reason }), kind: 'manifest' };
  const sources: [string[] | undefined, RegExp][] = [
    [inputs.manifests, /\.ya?ml$/i],
    [inputs.gcloud, /\.json$/i],
  ];
  for (const [paths, inFolders] of sources) {
    for (const path of paths ?? []) {
      for (const file of await filesUnder(path, inFolders)) addFile(await readTextFile(file), file, sink);
    }
  }
  return { config: finalizeConfig(sink.config), rejected };
}
