import { Option, type Command } from 'commander';
import { emptyClusterModel, rangeFlagProblem, withRangeOverrides, type ClusterModel, type RangeKind, type RangeOverrides } from '../core/model/cluster.js';
import { ClusterIdError, isClusterName, parseClusterId } from '../core/model/cluster-id.js';
import { SEVERITIES, atOrAbove, type Finding, type Severity } from '../core/findings/finding.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../core/report/findings-report.js';
import { loadClusterFile } from '../adapters/input/cluster-file.js';
import { UsageError } from './io.js';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export interface ClusterOptions {
  cluster?: string;
  clusterName?: string;
  masterCidr?: string;
  nodeCidr?: string[];
  podCidr?: string[];
  serviceCidr?: string[];
}

/** `--cluster-name`, checked as it is parsed: a cluster name or a well-formed cluster id. */
function clusterNameOrId(text: string): string {
  if (!text.includes(':')) {
    if (!isClusterName(text)) throw new UsageError(`--cluster-name ${text}: not a cluster name; write NAME, or the cluster id PROJECT:LOCATION:NAME`);
    return text;
  }
  try {
    parseClusterId(text);
  } catch (error) {
    if (error instanceof ClusterIdError) throw new UsageError(`--cluster-name ${text}: ${error.message}`);
    throw error;
  }
  return text;
}

export function addClusterOptions(command: Command): Command {
  return command
    .option('--cluster <file>', 'output of `gcloud container clusters describe` or `list --format=json`')
    .option('--cluster-name <name>', 'the cluster to use when the inputs hold several: NAME, or its id PROJECT:LOCATION:NAME', clusterNameOrId)
    .option('--master-cidr <cidr>', "the control plane's /28 (privateClusterConfig.masterIpv4CidrBlock)")
    .option('--node-cidr <cidr>', 'node range (repeatable)', collect)
    .option('--pod-cidr <cidr>', 'pod range (repeatable)', collect)
    .option('--service-cidr <cidr>', 'service range (repeatable)', collect);
}

/** The range flags, validated now so a typo is a usage error before any input is read. */
export function rangeOverrides(options: ClusterOptions): RangeOverrides {
  const flags = [
    ['--master-cidr', 'master', options.masterCidr === undefined ? [] : [options.masterCidr]],
    ['--node-cidr', 'node', options.nodeCidr ?? []],
    ['--pod-cidr', 'pod', options.podCidr ?? []],
    ['--service-cidr', 'service', options.serviceCidr ?? []],
  ] as const;
  for (const [flag, kind, values] of flags) for (const value of values) checkRangeFlag(flag, kind, value);
  return { masterCidr: options.masterCidr, nodeCidrs: options.nodeCidr, podCidrs: options.podCidr, serviceCidrs: options.serviceCidr };
}

/** A usage error naming the flag, the value and why it cannot be that range. */
export function checkRangeFlag(flag: string, kind: RangeKind, value: string): void {
  const problem = rangeFlagProblem(kind, value);
  if (problem) throw new UsageError(`${flag} ${value === '' ? '""' : value}: ${problem}`);
}

/** The cluster file, then the range flags on top of it. */
export async function resolveClusterModel(options: ClusterOptions): Promise<ClusterModel> {
  const overrides = rangeOverrides(options);
  const base = options.cluster ? await loadClusterFile(options.cluster, options.clusterName) : emptyClusterModel();
  return withRangeOverrides(base, overrides);
}

export interface WideOption {
  wide?: boolean;
}

/** `--wide`, for every command that prints a table. */
export function wideOption(): Option {
  return new Option('--wide', 'print tables and their text at full length instead of wrapping them at word boundaries to the terminal width');
}

/** Where text output wraps when not on a terminal (a file, a pipe, CI logs). */
const DEFAULT_WIDTH = 100;

/** How wide table output may be: the terminal's width, 100 off a terminal, unbounded with --wide. */
export function outputWidth(options: WideOption, columns: number | undefined): number {
  return options.wide ? Number.POSITIVE_INFINITY : (columns ?? DEFAULT_WIDTH);
}

export interface OutputOptions extends WideOption {
  format?: OutputFormat;
  failOn: Severity | 'none';
}

export function addOutputOptions(command: Command): Command {
  return command
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, json otherwise)').choices(OUTPUT_FORMATS))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices([...SEVERITIES, 'none']).default('error'))
    .addOption(wideOption());
}

export function outputFormat(options: OutputOptions, stdoutIsTTY: boolean): OutputFormat {
  return options.format ?? (stdoutIsTTY ? 'table' : 'json');
}

export function failsOn(findings: readonly Finding[], threshold: OutputOptions['failOn']): boolean {
  return threshold !== 'none' && findings.some((finding) => atOrAbove(finding.severity, threshold));
}

export interface RejectionOptions {
  allowRejected?: boolean;
}

export function addRejectionOption(command: Command): Command {
  return command.option('--allow-rejected', 'judge what could be read even when some input was rejected (exit 2 otherwise)');
}

const SHOWN_REASONS = 3;

/**
 * The one line stderr gets whenever input was rejected, so a gate that only reads exit codes and
 * stderr sees it: how many, and the first reasons with their FILE:LINE.
 */
export function rejectionSummary(rejected: readonly { source: string; reason: string }[], total = rejected.length): string | undefined {
  if (total === 0) return undefined;
  const first = rejected.slice(0, SHOWN_REASONS).map((entry) => `${entry.source}: ${entry.reason}`).join('; ');
  return `kfguard: ${total} input element${total === 1 ? ' was' : 's were'} rejected (${first}${total > SHOWN_REASONS ? '; …' : ''})`;
}

export function parseNow(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new UsageError(`--now: "${text}" is not an RFC 3339 time (for example 2026-01-15T10:00:00Z)`);
  return new Date(time);
}
