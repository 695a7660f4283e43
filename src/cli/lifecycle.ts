// reboot, reset and shutdown: one call per node, and with --wait the watch that follows each node
// until it is back (reboot, reset --reboot) or gone (shutdown, reset). Loaded lazily with the client.
//
// How a node is followed: before the call, when its runtime started (machined's first event); then
// it is asked until it answers with another start and machined Running (back: seen even when the
// restart was quicker than one poll), or until it no longer answers (gone).
import {setTimeout as delay} from 'node:timers/promises';
import type {Metadata} from '../machinery/api/common/common.js';
import {MachineServiceService, type ServiceInfo} from '../machinery/api/machine/machine.js';
import {cancelSignal} from './cancel.js';
import type {OsClient} from './client.js';
import {timerDelay} from './duration.js';
import {CliError} from './errors.js';
import {fanOut, type NodeResult} from './fanout.js';
import {messageNode} from './node-api.js';
import type {Sink} from './output/types.js';
import type {GlobalFlagValues, RunContext, Session} from './runtime.js';

export type Expectation = 'back' | 'gone';

/** How often a node is asked while it is down or coming back. */
const POLL_MS = 250;

/** The actor id of the action, after checking the node's answer carries no error. */
export function actorIdOf(response: {messages: Array<{metadata?: Metadata; actorId: string}>}, node: string): string {
  for (const message of response.messages) messageNode(message.metadata, node);
  return response.messages[0]?.actorId ?? '';
}

/** Status lines of the nodes being watched: a spinner on a terminal, else one plain line per change. */
export interface Tracker {
  update(node: string, text: string): void;
  finish(): void;
}

export async function createTracker(err: Sink, nodes: readonly string[]): Promise<Tracker> {
  const statuses = new Map(nodes.map((node) => [node, 'waiting']));
  const {wantsSpinner} = await import('./cluster/progress.js');
  if (process.stderr.isTTY && wantsSpinner()) {
    const {default: ora} = await import('ora');
    const spinner = ora({stream: process.stderr, discardStdin: false});
    const render = (): string => [`watching nodes: [${nodes.join(' ')}]`, ...[...statuses].map(([node, text]) => `    * ${node}: ${text}`)].join('\n');
    spinner.start(render());
    return {
      update(node, text) {
        statuses.set(node, text);
        spinner.text = render();
      },
      finish() {
        spinner.stopAndPersist({symbol: '', text: render()});
      },
    };
  }
  err.write(`watching nodes: [${nodes.join(' ')}]\n`);
  return {
    update(node, text) {
      if (statuses.get(node) === text) return;
      statuses.set(node, text);
      err.write(`    * ${node}: ${text}\n`);
    },
    finish() {},
  };
}

/**
 * Runs `call` on `node` and follows the node until `expect` holds, or `deadline` (epoch ms) passes.
 * `call` resolves with the action's actor id.
 */
export async function callAndFollow(
  client: OsClient,
  node: string,
  call: () => Promise<string>,
  expect: Expectation,
  deadline: number,
  tracker: Tracker,
): Promise<void> {
  const signal = AbortSignal.any([cancelSignal, AbortSignal.timeout(timerDelay(Math.max(0, deadline - Date.now())))]);
  const phase = async (what: string, work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      // After Ctrl-C the cancellation itself is the failure: the run context reports it as 130, not as the node's error.
      if (cancelSignal.aborted) throw cancelSignal.reason;
      if (!signal.aborted) throw error;
    }
    if (signal.aborted && !cancelSignal.aborted) throw new CliError(`timed out waiting for node ${node}: ${what}`);
  };
  const before = await bootMark(client, node);
  const actorId = await call();
  if (expect === 'back') {
    tracker.update(node, `waiting for the node to restart (actor ${actorId})`);
    await phase('it did not come back', () => untilBack(client, node, before, tracker, signal));
    tracker.update(node, 'back up');
  } else {
    tracker.update(node, `waiting for the node to go down (actor ${actorId})`);
    await phase('it still answers', () => untilGone(client, node, signal));
    tracker.update(node, 'gone');
  }
}

/**
 * When the node's runtime started: the time of machined's first event. A restarted runtime has new
 * services, so a different mark means the node went down and came back, however quickly.
 */
async function bootMark(client: OsClient, node: string): Promise<string | undefined> {
  const response = await client.unary(MachineServiceService.serviceList, {}, node);
  return markOf(response.messages.flatMap((m) => m.services));
}

function markOf(services: ServiceInfo[]): string | undefined {
  const first = services.find((s) => s.id === 'machined')?.events?.events[0]?.ts;
  return first === undefined ? undefined : first.toISOString();
}

async function untilBack(client: OsClient, node: string, before: string | undefined, tracker: Tracker, signal: AbortSignal): Promise<void> {
  let wentDown = false;
  for (;;) {
    try {
      const response = await client.unary(MachineServiceService.serviceList, {}, node);
      const services = response.messages.flatMap((m) => m.services);
      const machined = services.find((s) => s.id === 'machined');
      const restarted = wentDown || (before !== undefined && markOf(services) !== before);
      if (restarted && machined?.state === 'Running') return;
      if (restarted) tracker.update(node, `answering, machined ${machined?.state ?? 'not there yet'}`);
    } catch {
      wentDown = true;
      tracker.update(node, 'unavailable, retrying...');
    }
    await delay(POLL_MS, undefined, {signal});
  }
}
async function untilGone(client: OsClient, node: string, signal: AbortSignal): Promise<void> {
  for (;;) {
    try {
      await client.unary(MachineServiceService.version, {}, node);
    } catch {
      return;
    }
    await delay(POLL_MS, undefined, {signal});
  }
}

/** Each call's own deadline while a lifecycle command runs (its --timeout bounds the whole wait). */
const CALL_TIMEOUT_MS = 30_000;
/** talosctl's default --timeout of these commands: how long --wait may take. */
const WAIT_TIMEOUT = '30m';

export interface LifecycleRun {
  ctx: RunContext;
  flags: Omit<GlobalFlagValues, 'timeout'> & {timeout?: string; wait: boolean; debug: boolean; yes: boolean};
  /** The word of talosctl's failure line: `error executing <verb> on node <n>`. */
  verb: string;
  expect: Expectation;
  /** Makes the node's call; resolves with the actor id. */
  call: (client: OsClient, node: string) => Promise<string>;
}

/** One call per node, and with --wait (or --debug) the following of each node; failed nodes are reported, exit 1 or 3. */
export async function runLifecycle({ctx, flags, verb, expect, call}: LifecycleRun): Promise<NodeResult<void>[]> {
  const session = await ctx.session({...flags, timeout: flags.timeout ?? WAIT_TIMEOUT});
  const waitMs = session.timeoutMs;
  session.timeoutMs = Math.min(waitMs, CALL_TIMEOUT_MS);
  const nodes = ctx.targetNodes(session);
  if (!(await confirmed(ctx, flags, session, verb, nodes))) return [];
  const results = await ctx.withClient(session, async (client) => {
    // oclif's manifest keeps no boolean defaults, so the fast path leaves an absent --wait unset: absent is true.
    if (flags.wait === false && !flags.debug) {
      return fanOut(nodes, async (node) => {
        await call(client, node);
      });
    }
    const deadline = Date.now() + waitMs;
    const tracker = await createTracker(ctx.err, nodes);
    try {
      return await fanOut(nodes, async (node) => {
        try {
          await callAndFollow(client, node, () => call(client, node), expect, deadline, tracker);
        } catch (error) {
          if (!cancelSignal.aborted) tracker.update(node, `failed: ${(error as Error).message}`);
          throw error;
        }
      });
    } finally {
      tracker.finish();
    }
  });
  ctx.reportNodeErrors(results, `error executing ${verb} on node`);
  return results;
}

/**
 * A forgotten -n sends a reboot or reset to every node the context lists: on a terminal, and only
 * then, those targets are shown and confirmed first (-n or --yes skip it; scripts are never asked).
 */
async function confirmed(ctx: RunContext, flags: LifecycleRun['flags'], session: Session, verb: string, nodes: readonly string[]): Promise<boolean> {
  if ((flags.nodes?.length ?? 0) > 0 || flags.yes || !process.stdin.isTTY || !process.stderr.isTTY) return true;
  const {createPromptModule} = await import('inquirer');
  // On stderr: stdout may be a pipe that should get nothing but the command's output.
  const prompt = createPromptModule({output: process.stderr});
  const answer = await prompt<{go: boolean}>([
    {
      type: 'confirm',
      name: 'go',
      message: `${verb} ${nodes.length === 1 ? 'node' : `${nodes.length} nodes`} ${nodes.join(', ')} (the default nodes of context "${session.config.name}", through ${session.endpoints.join(', ')})?`,
      default: false,
    },
  ]);
  if (!answer.go) ctx.err.write(`nothing done: pass the nodes with -n, or --yes to ${verb} the context's nodes without asking\n`);
  return answer.go;
}
