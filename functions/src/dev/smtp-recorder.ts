import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { listenOnLoopback } from './listen.js';

export interface RecordedEmail {
  from: string;
  to: string[];
  /** Decoded by mailparser: headers unfolded, quoted-printable undone. */
  subject: string;
  text: string;
  messageId: string | undefined;
  /** The message as sent (headers and body). */
  raw: string;
  receivedAt: string;
}

/** An SMTP server on loopback that accepts one user and records every message (no TLS, as on a dev box). */
export class SmtpRecorder {
  readonly messages: RecordedEmail[] = [];
  private down = false;
  private readonly server: SMTPServer;
  port = 0;

  private constructor(
    readonly user: string,
    readonly password: string,
  ) {
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: false,
      logger: false,
      onAuth: (auth, _session, callback) => {
        if (auth.username === user && auth.password === password) callback(null, { user });
        else callback(new Error('Invalid username or password'));
      },
      onMailFrom: (_address, _session, callback) => {
        if (!this.down) return callback();
        const error = new Error('Service not available, closing transmission channel') as Error & { responseCode: number };
        error.responseCode = 421;
        callback(error);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          simpleParser(raw).then(
            (parsed) => {
              this.messages.push({
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
                subject: parsed.subject ?? '',
                text: parsed.text ?? '',
                messageId: parsed.messageId,
                raw: raw.toString('utf8'),
                receivedAt: new Date().toISOString(),
              });
              callback();
            },
            (error: Error) => callback(error),
          );
        });
      },
    });
  }

  static async start(port = 0, user = 'kfguard', password = 'local-smtp-password'): Promise<SmtpRecorder> {
    const recorder = new SmtpRecorder(user, password);
    await listenOnLoopback(recorder.server.server, port, 'SMTP server');
    recorder.port = (recorder.server.server.address() as AddressInfo).port;
    return recorder;
  }

  /** smtp://user:password@127.0.0.1:port: what the SMTP secret holds locally. */
  get url(): string {
    return `smtp://${this.user}:${this.password}@127.0.0.1:${this.port}`;
  }

  /** Simulates a mail server that refuses mail with a temporary error (421). */
  setDown(down: boolean): void {
    this.down = down;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
