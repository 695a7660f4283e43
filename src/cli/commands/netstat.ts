import {Args, Flags} from '@oclif/core';
import {BaseCommand} from '../base-command.js';

/** oclif types short flags as letters; talosctl's -4 and -6 are digits, which its parser takes all the same. */
const digitChar = (char: '4' | '6'): 'a' => char as unknown as 'a';

export default class Netstat extends BaseCommand {
  static summary = 'Show network connections and sockets';
  static description =
    'The sockets of the node: those held by osd and its descendants (services, pods), or every socket of the host ' +
    'when osd is the host\'s agent. Without -a or -l only connected sockets are shown; without a protocol flag, TCP ' +
    'and UDP. talosctl\'s -o means --timers here too, so structured output is --output (json, yaml, ndjson, jsonpath). ' +
    'A "namespace/pod" argument selects a pod\'s network namespace; osd runs pods in the host network, so there are ' +
    'none and such a pod is reported as not found.';
  static aliases = ['ss'];
  static examples = [
    '<%= config.bin %> netstat -l',
    '<%= config.bin %> -n 127.20.0.3 ss -tlp',
    '<%= config.bin %> netstat -a -x -o --output json',
  ];
  static args = {
    pod: Args.string({description: 'a pod as namespace/pod', required: false}),
  };
  static flags = {
    verbose: Flags.boolean({char: 'v', description: 'display sockets of all supported transport protocols'}),
    extend: Flags.boolean({char: 'x', description: 'show detailed socket information'}),
    programs: Flags.boolean({char: 'p', description: 'show process using socket'}),
    timers: Flags.boolean({char: 'o', description: 'display timers'}),
    listening: Flags.boolean({char: 'l', description: 'display listening server sockets'}),
    all: Flags.boolean({char: 'a', description: 'display all sockets states (default: connected)'}),
    pods: Flags.boolean({char: 'k', description: 'show sockets used by Kubernetes pods'}),
    tcp: Flags.boolean({char: 't', description: 'display only TCP sockets'}),
    udp: Flags.boolean({char: 'u', description: 'display only UDP sockets'}),
    udplite: Flags.boolean({char: 'U', description: 'display only UDPLite sockets'}),
    raw: Flags.boolean({char: 'w', description: 'display only RAW sockets'}),
    ipv4: Flags.boolean({char: digitChar('4'), description: 'display only ipv4 sockets'}),
    ipv6: Flags.boolean({char: digitChar('6'), description: 'display only ipv6 sockets'}),
    output: Flags.string({description: 'output format: table, yaml, json, ndjson or jsonpath=<template>', default: 'table'}),
  };
}
