/**
 * The service logger: pino JSON on stdout.
 *
 * Payloads are never logged at info level, and known secret-bearing fields are
 * redacted wherever they appear, as a second line of defence.
 */
import { type Logger, pino } from 'pino';
import type { LogLevel } from './config/config.js';

export const REDACT_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

/**
 * Set on a job's child logger to the attempt's start (performance.now()); every
 * line that logger writes then carries `duration_ms` so far.
 */
export const JOB_STARTED_AT = Symbol('jobStartedAt');

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'webhook-processor', pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin(_merge, _level, logger) {
      const started = (logger as unknown as { [JOB_STARTED_AT]?: number })[JOB_STARTED_AT];
      return started === undefined
        ? {}
        : { duration_ms: Math.round((performance.now() - started) * 100) / 100 };
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
