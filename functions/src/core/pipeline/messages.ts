import type { DeploymentSummary, FindingSummary, NotificationRequest } from './notification.js';

/** Google Chat's limits for one incoming-webhook message. */
export const CHAT_MAX_BYTES = 32_000;
const CHAT_MAX_WIDGETS = 100;

const HEADLINES: Record<NotificationRequest['kind'], string> = {
  'finding-opened': 'New finding',
  'finding-reopened': 'Finding is back',
  'severity-raised': 'Finding got worse',
  'finding-resolved': 'Resolved',
  'deployment-failed': 'Deployment failed',
  flush: 'Digest',
};

/** Chat text fields take a little HTML; everything that came from logs or manifests is escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

type Widget = Record<string, unknown>;

function findingWidgets(finding: FindingSummary): Widget[] {
  const widgets: Widget[] = [
    { decoratedText: { topLabel: `${finding.severity.toUpperCase()} · ${finding.rule} · ${finding.count}×`, text: escapeHtml(finding.title), wrapText: true } },
    { decoratedText: { topLabel: 'Cluster', text: escapeHtml(finding.cluster), wrapText: true } },
    { textParagraph: { text: escapeHtml(clip(finding.explanation, 1500)) } },
    { textParagraph: { text: `<b>Fix:</b> ${escapeHtml(clip(finding.fix, 800))}` } },
  ];
  if (finding.command) widgets.push({ textParagraph: { text: `<font color="#1a73e8">${escapeHtml(clip(finding.command, 2000))}</font>` } });
  return widgets;
}

/** The workflow reports a deployment's project and cluster name, not its location: not enough for a cluster id, so it says which is which. */
function deploymentLine(deployment: DeploymentSummary): string {
  return `${deployment.id} (cluster ${deployment.name} in project ${deployment.project})`;
}

function deploymentWidgets(deployment: DeploymentSummary): Widget[] {
  return [
    { decoratedText: { topLabel: 'Deployment', text: escapeHtml(deploymentLine(deployment)), wrapText: true } },
    { decoratedText: { topLabel: 'Failed stage', text: escapeHtml(deployment.stage) } },
    { textParagraph: { text: escapeHtml(clip(deployment.reason, 2000)) } },
    ...deployment.findings.slice(0, 10).flatMap(findingWidgets),
  ];
}

function subjectOf(request: NotificationRequest): string {
  if (request.deployment) return `${HEADLINES[request.kind]}: ${request.deployment.id} at ${request.deployment.stage}`;
  const finding = request.finding!;
  return `${HEADLINES[request.kind]}: [${finding.severity}] ${finding.title} (${finding.cluster})`;
}

function linkButton(dashboardUrl: string | undefined): Widget[] {
  return dashboardUrl ? [{ buttonList: { buttons: [{ text: 'Open the kfguard dashboard', onClick: { openLink: { url: dashboardUrl } } }] } }] : [];
}

function fitToChat(message: { text: string; cardsV2: { cardId: string; card: { header: unknown; sections: { widgets: Widget[] }[] } }[] }) {
  const card = message.cardsV2[0]!.card;
  const widgets = card.sections[0]!.widgets;
  widgets.splice(CHAT_MAX_WIDGETS);
  while (Buffer.byteLength(JSON.stringify(message)) > CHAT_MAX_BYTES && widgets.length > 1) widgets.splice(-2, 1);
  return message;
}

/** A Google Chat cardsV2 message for one notification. */
export function chatMessage(request: NotificationRequest, dashboardUrl?: string) {
  const widgets = request.deployment ? deploymentWidgets(request.deployment) : findingWidgets(request.finding!);
  return fitToChat({
    text: clip(subjectOf(request), 500),
    cardsV2: [
      {
        cardId: request.id,
        card: {
          header: { title: `kfguard: ${HEADLINES[request.kind]}`, subtitle: clip(request.deployment?.id ?? request.finding!.cluster, 200) },
          sections: [{ widgets: [...widgets, ...linkButton(dashboardUrl)] }],
        },
      },
    ],
  });
}

/** One message standing for many, once a Chat space's per-minute quota is spent. */
export function chatDigest(requests: readonly NotificationRequest[], dashboardUrl?: string) {
  const lines = requests.slice(0, 60).map((request) => ({ decoratedText: { text: escapeHtml(clip(subjectOf(request), 300)), wrapText: true } }));
  return fitToChat({
    text: `kfguard: ${requests.length} more notifications`,
    cardsV2: [{ cardId: `digest-${requests[0]?.id ?? 'empty'}`, card: { header: { title: `kfguard digest: ${requests.length} notifications`, subtitle: 'Folded to respect the Chat space quota' }, sections: [{ widgets: [...lines, ...linkButton(dashboardUrl)] }] } }],
  });
}

export interface EmailMessage {
  subject: string;
  text: string;
}

/** Header injection guard: a subject is one line of printable text, whatever the finding says. */
export function safeSubject(text: string): string {
  return clip(text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').replace(/\s+/g, ' ').trim(), 200);
}

export function emailMessage(request: NotificationRequest, dashboardUrl?: string): EmailMessage {
  const body: string[] = [];
  if (request.deployment) {
    const deployment = request.deployment;
    body.push(`Deployment ${deploymentLine(deployment)} failed at stage ${deployment.stage}.`, '', deployment.reason, '');
    for (const finding of deployment.findings) body.push(...findingText(finding), '');
  } else {
    body.push(...findingText(request.finding!), '');
  }
  if (dashboardUrl) body.push(`Dashboard: ${dashboardUrl}`);
  body.push(`Notification ${request.id}`);
  return { subject: safeSubject(`[kfguard] ${subjectOf(request)}`), text: body.join('\n') };
}

function findingText(finding: FindingSummary): string[] {
  const lines = [`[${finding.severity}] ${finding.title} (${finding.rule}, seen ${finding.count}×, ${finding.status})`, `Cluster: ${finding.cluster}`, '', finding.explanation, '', `Fix: ${finding.fix}`];
  if (finding.command) lines.push('', ...finding.command.split('\n').map((line) => `  ${line}`));
  return lines;
}
