/**
 * The `webhook-processor` command. Without a command, or with `serve`, it runs
 * the service as `npm start` does (configured by the environment); the other
 * commands are operators' and developers' tools that talk to a running service
 * over HTTP. The service's code is loaded only to serve.
 */
import { destinationsCommand } from './destinations.js';
import { dlqCommand } from './dlq.js';
import { eventsCommand } from './events.js';
import { CliError, EXIT, type Io, processIo } from './io.js';
import { sendCommand } from './send.js';
import { statusCommand } from './status.js';

export const HELP = `Usage: webhook-processor [command] [options]

Commands:
  serve         run the service (the default), configured by the environment (see README)
  status        health and backlog figures of a running service
  events        search, show and replay events from the event log (needs the admin token)
  dlq           list, show, replay and purge dead letters (needs the admin token)
  destinations  list, pause and resume destinations (needs the admin token)
  send          post an example webhook or a file, signed for a source's scheme

Run webhook-processor <command> --help for a command's options.

Exit codes: 0 done; 1 failed (an error answer, no such entry, unhealthy); 2 wrong command
line; 3 the service cannot be reached; 4 no admin token, the token was refused, or admin
routes are off.
`;

const SERVE_HELP = `Usage: webhook-processor [serve]

Runs the service until SIGTERM or SIGINT. It takes no options: every setting comes from the
environment (PORT, REDIS_URL or STORE=sqlite, WORKER_COUNT, ADMIN_TOKEN, …; see README).
Exit codes: 0 stopped cleanly, 1 start-up failure or forced stop, 2 invalid configuration.
`;

const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = {
  status: statusCommand,
  events: eventsCommand,
  dlq: dlqCommand,
  destinations: destinationsCommand,
  send: sendCommand,
};

/** Runs a command line (without `node` and the script); resolves with the exit code. */
export async function runCommand(argv: string[], io: Io): Promise<number> {
  const [command, ...args] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP);
    return EXIT.ok;
  }
  const run = command === undefined ? undefined : COMMANDS[command];
  if (!run) {
    io.err(`webhook-processor: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    return await run(args, io);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.err(`webhook-processor ${command}: ${err.message}\n`);
    return err.exitCode;
  }
}

/** The process entry: serve, or run a command and exit with its code. */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'serve') {
    if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h')) {
      process.stdout.write(SERVE_HELP);
      return;
    }
    if (rest.length > 0) {
      process.stderr.write(
        'webhook-processor serve: takes no arguments; it is configured by the environment (see README)\n',
      );
      process.exit(EXIT.usage);
    }
    const { runService } = await import('../run.js');
    return runService();
  }
  process.exitCode = await runCommand(argv, processIo());
}
