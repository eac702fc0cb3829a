import { LineCounter, parseAllDocuments } from 'yaml';
import { addKubeObject, type ConfigSink } from './kube.js';

/** Files of the packaging tools that sit beside manifests in a kpt package or kustomize folder. */
const TOOLING_GROUPS = /^(kustomize\.config\.k8s\.io|kpt\.dev|config\.kubernetes\.io|fn\.kpt\.dev)\//;

/** kustomization.yaml may omit apiVersion and kind; its keys give it away. */
const KUSTOMIZATION_KEYS = ['resources', 'patchesStrategicMerge', 'bases', 'commonLabels', 'patches', 'components'];

function isToolingFile(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const { apiVersion, kind } = value as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion === 'string') return TOOLING_GROUPS.test(apiVersion);
  return kind === undefined && KUSTOMIZATION_KEYS.some((key) => key in value);
}

/** Billion-laughs guard: YAML aliases may expand at most this many times per document. */
const MAX_ALIAS_COUNT = 100;

/**
 * Reads a multi-document YAML file (kustomize build output, a kpt package file) into the config.
 * kpt setter comments are plain comments and are ignored; each bad document is rejected with its
 * line and the rest of the file goes on.
 */
export function addManifestText(text: string, file: string, sink: ConfigSink): number {
  const lines = new LineCounter();
  let used = 0;
  for (const document of parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false })) {
    const offset = document.contents?.range[0] ?? document.range[0];
    const location = `${file}:${lines.linePos(offset).line}`;
    if (document.errors.length > 0) {
      sink.reject(location, `invalid YAML: ${document.errors[0]!.message.split('\n')[0]}`);
      continue;
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      sink.reject(location, `unreadable YAML: ${(error as Error).message}`);
      continue;
    }
    if (value === null || value === undefined) continue;
    if (isToolingFile(value)) continue;
    if ((value as { kind?: unknown }).kind === 'List' && Array.isArray((value as { items?: unknown }).items)) {
      for (const item of (value as { items: unknown[] }).items) if (addKubeObject(item, location, sink) === 'used') used++;
      continue;
    }
    if (addKubeObject(value, location, sink) === 'used') used++;
  }
  return used;
}
