#!/usr/bin/env node
/**
 * Process entry point and the `webhook-processor` command: `node dist/main.js`
 * (or `npm start`, or `webhook-processor serve`) runs the service, configured by
 * the environment; `webhook-processor <command>` runs an operator's tool.
 */
import { main } from './cli/cli.js';

void main(process.argv.slice(2));
