#!/usr/bin/env node
// Entry point of the `diff2in1` command. Ctrl-C once asks the running stage to stop at its next safe point
// (state is kept, the same command resumes); twice quits at once.
import { invocationCwd, main } from './cli/main.js';

const controller = new AbortController();
let interrupts = 0;
const onSignal = (sig: NodeJS.Signals): void => {
  interrupts++;
  if (interrupts > 1) process.exit(130);
  process.stderr.write(`\n${sig}: stopping after the current step (again to quit now)…\n`);
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: invocationCwd(), signal: controller.signal });
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
process.exitCode = code;
