import { offlineScope } from '../pipeline/registry.js';
import { summarizeModel, type ClusterModel, type ClusterModelSummary } from '../model/cluster.js';
import { FindingAggregator, sortFindings, type Finding } from '../findings/finding.js';
import { mergeOperation, type OperationState, type StuckThresholds } from '../gke/operation.js';
import { OPERATION_RULES } from '../rules/index.js';
import { diagnoseEntry, operationObservation, type DiagnosisContext } from '../diagnosis/engine.js';
import type { Endpoint } from '../diagnosis/flow.js';

export interface AnalyzeOptions {
  model: ClusterModel;
  firewall?: DiagnosisContext['firewall'];
  /** The cluster's firewall as `check` sees it: denials of traffic `check` judges get `check`'s fix. */
  live?: DiagnosisContext['live'];
  now: Date;
  thresholds: StuckThresholds;
  /** How many rejections to keep with their reasons; all are counted. */
  maxRejected?: number;
  /** What reading the rules in force had to assume. */
  notes?: string[];
}

// A type alias, not an interface, so it fits FindingsDocument's index signature.
export type AnalysisStats = {
  entries: number;
  denied: number;
  ignored: number;
  rejected: number;
};

export interface Rejection {
  source: string;
  reason: string;
}

export interface AnalysisReport {
  findings: Finding[];
  stats: AnalysisStats;
  rejected: Rejection[];
  model: ClusterModelSummary;
  /** What kfguard had to infer, so the reader knows how far to trust the classification. */
  notes: string[];
}

const DEFAULT_MAX_REJECTED = 1000;

/** Accumulates entries and operations into findings; memory grows with distinct causes, not with input. */
export class Analyzer {
  private readonly aggregator: FindingAggregator;
  private readonly operations = new Map<string, OperationState>();
  private readonly rejections: Rejection[] = [];
  private readonly inferredMasters = new Set<string>();
  private inferredNodes = false;
  readonly stats: AnalysisStats = { entries: 0, denied: 0, ignored: 0, rejected: 0 };

  private readonly context: DiagnosisContext;

  constructor(private readonly options: AnalyzeOptions) {
    this.context = { model: options.model, ...(options.firewall ? { firewall: options.firewall } : {}), ...(options.live ? { live: options.live } : {}) };
    this.aggregator = new FindingAggregator(offlineScope([options.model]));
  }

  addEntry(value: unknown, source: string): void {
    this.stats.entries++;
    const diagnosis = diagnoseEntry(value, this.context);
    switch (diagnosis.kind) {
      case 'finding':
        if (diagnosis.denied) this.stats.denied++;
        this.noteInferred(diagnosis.inferred);
        this.aggregator.add(diagnosis.observation);
        return;
      case 'operation':
        this.addOperation(diagnosis.operation);
        return;
      case 'ignored':
        this.stats.ignored++;
        return;
      case 'rejected':
        this.stats.entries--;
        this.reject(source, diagnosis.reason);
    }
  }

  addOperation(operation: OperationState): void {
    this.operations.set(operation.name, mergeOperation(this.operations.get(operation.name), operation));
  }

  /** Records input that could not be read as an entry at all (bad JSON, bad base64, oversized). */
  reject(source: string, reason: string): void {
    this.stats.entries++;
    this.stats.rejected++;
    if (this.rejections.length < (this.options.maxRejected ?? DEFAULT_MAX_REJECTED)) this.rejections.push({ source, reason });
  }

  report(): AnalysisReport {
    const context = { now: this.options.now, thresholds: this.options.thresholds };
    const operationFindings = new FindingAggregator(offlineScope([this.options.model]));
    for (const operation of this.operations.values()) {
      for (const rule of OPERATION_RULES) {
        if (rule.matches(operation, context)) operationFindings.add(operationObservation(operation, rule, context));
      }
    }
    return {
      findings: sortFindings([...this.aggregator.findings(), ...operationFindings.findings()]),
      stats: { ...this.stats },
      rejected: [...this.rejections],
      model: summarizeModel(this.options.model),
      notes: this.notes(),
    };
  }

  private noteInferred(endpoints: Endpoint[]): void {
    for (const endpoint of endpoints) {
      if (endpoint.cls === 'control-plane' && endpoint.range) this.inferredMasters.add(endpoint.range.text);
      else if (endpoint.cls === 'node') this.inferredNodes = true;
    }
  }

  private notes(): string[] {
    const notes: string[] = [...(this.options.notes ?? [])];
    if (this.stats.entries === 0) notes.push('The input holds no log entries: nothing was denied, or the export is empty.');
    if (this.inferredMasters.size > 0) {
      notes.push(
        `Control-plane range inferred from the entries as ${[...this.inferredMasters].join(', ')} (a 172.16.0.0/12 address that is no VM, talking to nodes); pass --cluster or --master-cidr to be exact.`,
      );
    }
    if (this.inferredNodes) {
      notes.push('Nodes recognised from gke- VM names and node tags; pass --cluster or --node-cidr/--pod-cidr to tell nodes, pods and services apart.');
    }
    return notes;
  }
}
