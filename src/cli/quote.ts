// User input echoed in messages. A message must say what was typed, but not repeat 100 KB of it.

/** Longest part of a user's input that a message repeats. */
export const MAX_QUOTED = 64;

/** `text` in double quotes; beyond MAX_QUOTED characters, its start and how long it is. */
export function quoteInput(text: string): string {
  if (text.length <= MAX_QUOTED) return `"${escapeControls(text)}"`;
  const characters = Array.from(text); // code points: a cut never splits a surrogate pair
  if (characters.length <= MAX_QUOTED) return `"${escapeControls(text)}"`;
  return `"${escapeControls(characters.slice(0, MAX_QUOTED).join(''))}…" (${characters.length} characters)`;
}

// C0 controls but tab, DEL and C1 controls: what moves the cursor, clears the screen or starts a
// terminal escape sequence.
const CONTROL_CHARACTERS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
const CONTROLS_BUT_NEWLINE = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
const NAMED_ESCAPES: Record<string, string> = {'\n': '\\n', '\r': '\\r'};

/**
 * `text` with its control characters written as Go's %q writes them (`\n`, `\x1b`): a message
 * repeating what a user typed or a node answered must not send an escape sequence to the terminal.
 * `keepNewlines` leaves line breaks alone, for messages of several lines.
 */
export function escapeControls(text: string, {keepNewlines = false} = {}): string {
  return text.replace(keepNewlines ? CONTROLS_BUT_NEWLINE : CONTROL_CHARACTERS, (c) => {
    const code = c.charCodeAt(0);
    return NAMED_ESCAPES[c] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}
