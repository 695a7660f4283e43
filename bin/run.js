#!/usr/bin/env node
// DEP0123: grpc-js sets the TLS servername to the endpoint IP; Talos endpoints are IPs.
process.noDeprecation = true;

const {hoistGlobalFlags} = await import('../dist/lib/argv.js');
const {installInterruptHandler} = await import('../dist/lib/cancel.js');
installInterruptHandler();

const {execute} = await import('@oclif/core');
await execute({args: hoistGlobalFlags(process.argv.slice(2)), dir: import.meta.url});
