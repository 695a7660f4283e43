// User input echoed in messages. A message must say what was typed, but not repeat 100 KB of it.

/** Longest part of a user's input that a message repeats. */
export const MAX_QUOTED = 64;

/** `text` in double quotes; beyond MAX_QUOTED characters, its start and how long it is. */
export function quoteInput(text: string): string {
  if (text.length <= MAX_QUOTED) return `"${text}"`;
  const characters = Array.from(text); // code points: a cut never splits a surrogate pair
  if (characters.length <= MAX_QUOTED) return `"${text}"`;
  return `"${characters.slice(0, MAX_QUOTED).join('')}…" (${characters.length} characters)`;
}
