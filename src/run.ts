/**
 * The process around a service: configuration from the environment, signals,
 * exit codes. `main.ts` calls this; so can a program that brings its own handlers.
 *
 * Shutdown is two-phase. The first SIGTERM or SIGINT stops gracefully within
 * SHUTDOWN_TIMEOUT and exits 0; a second signal, or the budget running out,
 * exits at once with 1. Jobs that did not finish are handed back (or stay pending
 * for another instance to reclaim), so a forced exit loses nothing.
 */
import type { Logger } from 'pino';
import { createService, type ServiceOptions } from './app.js';
import { type Config, ConfigError, loadConfig, redactedConfig } from './config/config.js';
import { createLogger } from './logger.js';
import { describeError } from './worker/errors.js';

export interface RunOptions {
  env?: Record<string, string | undefined>;
  handlers?: ServiceOptions['handlers'];
}

/** Exit codes: 0 clean stop, 1 failure or forced stop, 2 invalid configuration. */
export async function runService(opts: RunOptions = {}): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(opts.env ?? process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`webhook-processor: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  installCrashGuards(log);
  log.info({ config: redactedConfig(config) }, 'configuration');
  for (const warning of config.warnings) log.warn(warning);
  const service = createService({
    config,
    log,
    ...(opts.handlers ? { handlers: opts.handlers } : {}),
  });

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    log.info({ signal, timeout_ms: config.shutdownTimeoutMs }, 'shutting down');
    const hardStop = setTimeout(() => {
      log.error('shutdown timed out: exiting now');
      process.exit(1);
    }, config.shutdownTimeoutMs + 1_000);
    hardStop.unref();
    service.stop().then(
      () => exitWhenDrained(log, 0),
      (err: unknown) => {
        log.error({ err: describeError(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    await service.start();
  } catch (err) {
    log.fatal({ err: describeError(err) }, 'start-up failed');
    await service.stop(2_000).catch(() => undefined);
    process.exit(1);
  }
}

/**
 * Lets the process end by itself once nothing holds it open; if something still
 * does shortly after (a handler that ignored its AbortSignal), exits anyway.
 */
function exitWhenDrained(log: Logger, code: number): void {
  process.exitCode = code;
  const t = setTimeout(() => {
    log.warn('handles still open after shutdown; exiting');
    process.exit(code);
  }, 1_000);
  t.unref();
}

/** Nothing a handler does may stop the process: log, count, carry on. */
function installCrashGuards(log: Logger): void {
  process.on('unhandledRejection', (reason) => {
    log.error({ err: describeError(reason) }, 'unhandled promise rejection (ignored)');
  });
  process.on('uncaughtException', (err) => {
    log.error({ err: describeError(err), stack: err.stack }, 'uncaught exception (ignored)');
  });
}
