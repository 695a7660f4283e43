// Ending a long-running command (a watch) as soon as stdout's reader goes away, even while it has
// nothing to write. Loaded only by such commands: it costs a child_process import.
import {spawn} from 'node:child_process';
import {fstatSync} from 'node:fs';
import {EXIT_BROKEN_PIPE} from './stdio.js';

/*
 * Node cannot wait for a pipe's reader to go away without writing, but poll(2) can: the write end
 * of a pipe or socket whose reader has gone reports POLLERR/POLLHUP, which select(2) shows as
 * "readable". perl-base (essential on Debian) does that select on our stdout; it also checks every
 * second that we are still its parent, so it never outlives us holding the pipe open. Where perl
 * is missing, the next write still ends the command.
 */
const READER_WATCH = `my $p = getppid; while (1) { my $r = ""; vec($r, 1, 1) = 1; exit 0 if select($r, undef, undef, 1) > 0; exit 1 if getppid != $p }`;

let readerWatched = false;

/** For long-running output: exit 141 as soon as stdout's reader (a pipe or socket) goes away. */
export function exitWhenReaderLeaves(): void {
  if (readerWatched) return;
  readerWatched = true;
  let stat;
  try {
    stat = fstatSync(1);
  } catch {
    return;
  }
  if (!stat.isFIFO() && !stat.isSocket()) return;
  const watcher = spawn('perl', ['-e', READER_WATCH], {stdio: ['ignore', 'inherit', 'ignore']});
  watcher.on('error', () => {}); // no perl: the next write decides
  watcher.on('exit', (code) => {
    if (code === 0) process.exit(EXIT_BROKEN_PIPE);
  });
  watcher.unref();
  process.on('exit', () => watcher.kill());
}
