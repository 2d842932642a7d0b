#!/usr/bin/env node
/** Process entry point: `node dist/main.js`, configured by the environment. */
import { runService } from './run.js';

void runService();
