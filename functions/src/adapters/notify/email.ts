import type { Transporter } from 'nodemailer';
import type { EmailMessage } from '../../core/pipeline/messages.js';

export class EmailError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

const transports = new Map<string, Transporter>();

async function transportFor(smtpUrl: string): Promise<Transporter> {
  const cached = transports.get(smtpUrl);
  if (cached) return cached;
  const { createTransport } = await import('nodemailer');
  // nodemailer waits up to an hour on a silent socket; a notifier must give up well inside its deadline and let Pub/Sub retry.
  const transport = createTransport({ url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  transports.set(smtpUrl, transport);
  return transport;
}

/**
 * Sends through SMTP (nodemailer). A 5xx reply (bad recipient, relay denied) is permanent; a
 * connection failure or 4xx is worth retrying. The Message-ID is derived from the notification so
 * mail clients can fold a rare duplicate.
 */
export async function sendEmail(smtpUrl: string, from: string, to: readonly string[], message: EmailMessage, notificationId: string): Promise<void> {
  try {
    await (await transportFor(smtpUrl)).sendMail({ from, to: [...to], subject: message.subject, text: message.text, messageId: `<${notificationId}@kfguard>` });
  } catch (error) {
    const code = (error as { responseCode?: unknown }).responseCode;
    const permanent = typeof code === 'number' && code >= 500;
    throw new EmailError(`SMTP ${permanent ? 'refused' : 'failed'}: ${typeof code === 'number' ? `reply ${code}` : ((error as { code?: string }).code ?? 'error')}`, !permanent);
  }
}

export function closeEmailTransports(): void {
  for (const transport of transports.values()) transport.close();
  transports.clear();
}
