#!/usr/bin/env node
// DEP0123: grpc-js sets the TLS servername to the endpoint IP; Talos endpoints are IPs.
process.noDeprecation = true;

const root = new URL('..', import.meta.url).pathname;
const {hoistGlobalFlags} = await import('../dist/cli/argv.js');
const {exitWhenFinished, installInterruptHandler} = await import('../dist/cli/cancel.js');
installInterruptHandler();
// A closed or failing stdout ends osctl quietly (see src/cli/output/stdio.ts), oclif's help included.
const {guardStandardStreams} = await import('../dist/cli/output/stdio.js');
guardStandardStreams();
const argv = hoistGlobalFlags(process.argv.slice(2));

// Well-formed invocations of known commands skip booting oclif (see src/cli/fast-path.ts).
const {fastInvocation, misplacedFlagProblem} = await import('../dist/cli/fast-path.js');
const misplaced = misplacedFlagProblem(argv, root);
const invocation = misplaced ? undefined : fastInvocation(argv, root);
try {
  if (misplaced) {
    // oclif would read the flag as a command name ("-o is not a osctl command").
    process.stderr.write(`error: ${misplaced}\n`);
    process.exitCode = 2;
  } else if (invocation) {
    const {runAction} = await import('../dist/cli/runtime.js');
    await runAction(invocation);
  } else {
    const {execute} = await import('@oclif/core');
    await execute({args: argv, dir: import.meta.url});
  }
} finally {
  exitWhenFinished();
}
