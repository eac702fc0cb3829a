import type { DeploymentRequest } from '../../core/deploy/request.js';
import { parseClusterResourceName, type StageName, type StageResult } from '../../core/deploy/stages.js';
import type { Finding } from '../../core/findings/finding.js';
import { shortHash } from '../../core/pipeline/fingerprint.js';
import type { FindingSummary } from '../../core/pipeline/notification.js';
import type { Logger } from '../logger.js';
import type { DeploymentStore } from '../firestore/deployments.js';

export interface StageContext {
  deploymentId: string;
  request: DeploymentRequest;
  stage: StageName;
  attempt: number;
  /** What earlier stages handed on; every STAGE_INPUTS entry of this stage is there and well formed. */
  inputs: Readonly<Record<string, string>>;
  /** When the stage's first attempt began. */
  stageStartedAt: Date;
  now: Date;
  logger: Logger;
  store: DeploymentStore;
}

/** A stage either reports now, or has started a Cloud Build job whose success will report `outputs`. */
export type StageOutcome = StageResult | { status: 'build-started'; buildId: string; outputs: Record<string, string> };

export type StageHandler = (context: StageContext) => Promise<StageOutcome>;

/** The cluster kfguard deploys, as apply handed it on (projects/P/locations/L/clusters/N). */
export function kubeflowCluster(inputs: Readonly<Record<string, string>>): { project: string; location: string; name: string } {
  const cluster = parseClusterResourceName(inputs['cluster'] ?? '');
  if (!cluster) throw new Error(`input cluster ${JSON.stringify(inputs['cluster'])} is not projects/P/locations/L/clusters/N`);
  return cluster;
}

export function managementCluster(request: DeploymentRequest): { project: string; location: string; name: string } {
  return { project: request.managementCluster.project ?? request.project, location: request.managementCluster.location, name: request.managementCluster.name };
}

/** Findings travel in stage results and notifications in the notification's summary form. */
export function summarizeFindings(findings: readonly Finding[], cluster: string): FindingSummary[] {
  return findings.slice(0, 20).map((finding) => ({
    id: shortHash(`${finding.rule}\n${JSON.stringify(finding.flow)}\n${finding.resources.join(',')}`),
    rule: finding.rule,
    severity: finding.severity,
    title: finding.title,
    status: 'open',
    count: finding.count,
    cluster,
    explanation: finding.explanation.slice(0, 4000),
    fix: finding.remediation.summary.slice(0, 2000),
    command: finding.remediation.gcloud?.slice(0, 4000) ?? null,
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
  }));
}
