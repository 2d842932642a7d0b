/**
 * The process around a service: configuration from the environment, signals,
 * crashes, exit codes. `main.ts` calls this; so can a program that brings its own
 * handlers.
 *
 * Shutdown is two-phase. The first SIGTERM or SIGINT stops gracefully within
 * SHUTDOWN_TIMEOUT and exits 0; a second signal, or the budget running out,
 * exits at once with 1. An uncaught exception, or a promise rejection nothing
 * handled, leaves the process in an unknown state: it is logged at `fatal`, and
 * the service stops the same graceful way and exits 1 within SHUTDOWN_TIMEOUT,
 * for a supervisor to restart it. Jobs that did not finish are handed back, or
 * stay pending for a reclaim, so no exit loses an accepted job.
 */
import type { Logger } from 'pino';
import { createService, type ServiceOptions } from './app.js';
import { type Config, ConfigError, redactedConfig } from './config/config.js';
import { configFrom, type ServiceSettings } from './config/settings.js';
import { createLogger } from './logger.js';
import { describeError } from './worker/errors.js';

export interface RunOptions {
  /** The environment the configuration is read from; default `process.env`. */
  env?: Record<string, string | undefined>;
  /**
   * Typed settings (`{ workers: 5, timeoutMs: 30_000 }`); each wins over the
   * variable it stands for in `env`.
   */
  settings?: ServiceSettings;
  handlers?: ServiceOptions['handlers'];
  /** Store backends of your own, beside the built-in ones (see ServiceOptions). */
  storeDrivers?: ServiceOptions['storeDrivers'];
}

/** Exit codes: 0 clean stop, 1 failure or forced stop, 2 invalid configuration. */
export async function runService(opts: RunOptions = {}): Promise<void> {
  let config: Config;
  try {
    config = configFrom(opts.settings ?? {}, opts.env ?? process.env, {
      storeDrivers: opts.storeDrivers ?? [],
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`webhook-processor: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  log.info(
    { config: redactedConfig(config, { storeDrivers: opts.storeDrivers ?? [] }) },
    'configuration',
  );
  for (const warning of config.warnings) log.warn(warning);
  const service = createService({
    config,
    log,
    ...(opts.handlers ? { handlers: opts.handlers } : {}),
    ...(opts.storeDrivers ? { storeDrivers: opts.storeDrivers } : {}),
  });

  let stopping = false;
  let exitCode = 0;
  const stop = (budgetMs: number) => {
    const hardStop = setTimeout(() => {
      log.error('shutdown timed out: exiting now');
      process.exit(1);
    }, budgetMs);
    hardStop.unref();
    service.stop().then(
      () => exitWhenDrained(log, exitCode, service.pool.handlersRunning),
      (err: unknown) => {
        log.error({ err: describeError(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, timeout_ms: config.shutdownTimeoutMs }, 'shutting down');
    stop(config.shutdownTimeoutMs + 1_000);
  };
  const onCrash = (what: string, thrown: unknown) => {
    log.fatal(
      { err: describeError(thrown), stack: stackOf(thrown), timeout_ms: config.shutdownTimeoutMs },
      `${what}: the process is in an unknown state; stopping, to exit 1`,
    );
    exitCode = 1;
    // A crash after the stop finished, while the process drains, must still exit 1.
    process.exitCode = 1;
    if (stopping) return; // already stopping: it exits 1 when done
    stopping = true;
    stop(config.shutdownTimeoutMs);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', (err) => onCrash('uncaught exception', err));
  process.on('unhandledRejection', (reason) => onCrash('unhandled promise rejection', reason));

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
 * does shortly after, exits anyway. Handlers still running (they ignored their
 * AbortSignal) must not carry on: their jobs are left for a reclaim, which is
 * safe only once this process is gone, so then it exits at once.
 */
function exitWhenDrained(log: Logger, code: number, handlersRunning: number): void {
  if (code !== 0 || handlersRunning > 0) process.exit(code);
  process.exitCode = code;
  const t = setTimeout(() => {
    log.warn('handles still open after shutdown; exiting');
    process.exit();
  }, 1_000);
  t.unref();
}

/** The stack of a thrown Error, if it can be read. */
function stackOf(thrown: unknown): string | undefined {
  try {
    return thrown instanceof Error && typeof thrown.stack === 'string' ? thrown.stack : undefined;
  } catch {
    return undefined;
  }
}
