import { redact, redactText } from '../core/pipeline/redact.js';

export type LogSeverity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

export interface Logger {
  log(severity: LogSeverity, message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry these labels too. */
  child(labels: Record<string, string>): Logger;
}

export type LogSink = (line: string, severity: LogSeverity) => void;

/**
 * console, not process.stdout: the same lines reach Cloud Logging, and test runners can hold them
 * back for tests that pass.
 */
const writeStd: LogSink = (line, severity) => {
  // eslint-disable-next-line no-console
  if (severity === 'ERROR' || severity === 'CRITICAL' || severity === 'WARNING') console.error(line);
  // eslint-disable-next-line no-console
  else console.log(line);
};

/**
 * Structured logging the way Cloud Logging reads stdout of Cloud Functions and Cloud Run: one JSON
 * object per line with `severity`, `message`, `logging.googleapis.com/labels`, and extra fields in
 * jsonPayload. Every line is redacted first, so a secret passed by mistake never leaves the process.
 */
let destination: LogSink = writeStd;

/**
 * Where loggers without their own sink write: stdout and stderr, as Cloud Functions expects. The
 * local stack behind `npm start` sends the functions' lines to a file so its report stays readable.
 */
export function setLogDestination(sink: LogSink | undefined): void {
  destination = sink ?? writeStd;
}

export function createLogger(labels: Record<string, string> = {}, sink: LogSink = (line, severity) => destination(line, severity)): Logger {
  const log = (severity: LogSeverity, message: string, fields: Record<string, unknown> = {}): void => {
    const entry = {
      ...(redact(fields) as Record<string, unknown>),
      severity,
      message: redactText(message),
      time: new Date().toISOString(),
      'logging.googleapis.com/labels': labels,
    };
    sink(JSON.stringify(entry), severity);
  };
  return {
    log,
    info: (message, fields) => log('INFO', message, fields),
    warn: (message, fields) => log('WARNING', message, fields),
    error: (message, fields) => log('ERROR', message, fields),
    child: (more) => createLogger({ ...labels, ...more }, sink),
  };
}
