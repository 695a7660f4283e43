#!/usr/bin/env node
// osd, the node agent. When it forwards a call to another node by IP, grpc-js passes the IP as
// the TLS server name and Node warns (DEP0123) on every process; that is expected here.
process.noDeprecation = true;
await import('../dist/agent/main.js');
