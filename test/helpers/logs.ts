/** A logger that keeps its lines in memory, for asserting on what was logged. */
import { Writable } from 'node:stream';
import type { Logger, pino } from 'pino';
import type { LogLevel } from '../../src/config/config.js';
import { createLogger } from '../../src/logger.js';

export interface CapturedLogs {
  log: Logger;
  lines: Record<string, unknown>[];
  text(): string;
}

export function captureLogs(level: LogLevel = 'debug'): CapturedLogs {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      const s = chunk.toString();
      raw.push(s);
      for (const line of s.split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      cb();
    },
  });
  return {
    log: createLogger(level, stream as unknown as pino.DestinationStream),
    lines,
    text: () => raw.join(''),
  };
}
