import {Flags} from '@oclif/core';
import {BaseCommand, outputFlag} from '../base-command.js';

export default class Time extends BaseCommand {
  static summary = 'Gets current server time';
  static description =
    'Each node asks an NTP server for the time (one SNTP exchange, at most 5 s) and reports it next to its own clock: ' +
    'the first of the node\'s configured time servers (machine.time.servers; Talos\'s default time.cloudflare.com), ' +
    'or the server given with --check (host, host:port or [v6]:port). An unreachable server is an error naming it. ' +
    'Examples: `osctl time`, `osctl -n 127.20.0.3 time --check pool.ntp.org`, `osctl time --check 127.0.0.1:1123 -o json`.';
  // No runnable examples: a local cluster has no NTP server to ask. The description shows the forms.
  static usage = 'time [--check server]';
  static flags = {
    check: Flags.string({char: 'c', description: 'checks server time against specified ntp server'}),
    output: outputFlag,
  };
}
