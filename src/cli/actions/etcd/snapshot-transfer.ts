// What `etcd snapshot` and `bootstrap --recover-from` share: progress of a byte transfer on a
// terminal, a stall watchdog, and the reader's errors as CLI errors.
import {timerDelay} from '../../duration.js';
import {humanizeBytes} from '../../output/humanize.js';

/** How often the progress line is redrawn. */
const REDRAW_MS = 250;

/**
 * `<verb> 12 MB (45 MB/s)` redrawn in place on stderr, only when stderr is a terminal: a pipe or a
 * log gets nothing (success prints nothing on stderr). `done` erases the line.
 */
export class TransferProgress {
  private bytes = 0;
  private readonly started = Date.now();
  private drawnAt = 0;
  private drawn = false;
  private readonly enabled: boolean;

  constructor(private readonly verb: string, private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.enabled = stream.isTTY === true;
  }

  add(bytes: number): void {
    this.bytes += bytes;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.drawnAt < REDRAW_MS) return;
    this.drawnAt = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? `${humanizeBytes(Math.round(this.bytes / seconds))}/s` : '';
    this.stream.write(`\r\x1b[K${this.verb} ${humanizeBytes(this.bytes)}${rate ? ` (${rate})` : ''}`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

/**
 * Calls `onStall` when `poke` has not been called for `ms` (no bytes moved); `stop` ends it.
 * The timer does not keep the process alive by itself.
 */
export class StallWatchdog {
  private timer: NodeJS.Timeout;
  stalled = false;

  constructor(private readonly ms: number, private readonly onStall: () => void) {
    this.timer = this.arm();
  }

  private arm(): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.stalled = true;
      this.onStall();
    }, timerDelay(this.ms));
    timer.unref();
    return timer;
  }

  poke(): void {
    clearTimeout(this.timer);
    this.timer = this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
