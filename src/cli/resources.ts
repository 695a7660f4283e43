// Resolving what the user typed (`mc`, `Members`, `hostnamestatuses.net`) to a resource type,
// the way talosctl does: against the ResourceDefinitions the node serves, case-insensitively.
import {CliError, EXIT_FAILURE} from './errors.js';
import {quoteInput} from './quote.js';

/** Longer input is no misspelt type name (the longest are ≈ 40 characters); it gets no suggestions. */
const LONGEST_SUGGESTIBLE = 64;

export interface ResourceDefinition {
  /** RD id: the lower-cased type */
  id: string;
  type: string;
  displayType: string;
  defaultNamespace: string;
  aliases: string[];
  allAliases: string[];
  printColumns: {name: string; jsonPath: string}[];
  sensitive: boolean;
}

export function resolveResourceType(definitions: readonly ResourceDefinition[], typed: string): ResourceDefinition {
  const wanted = typed.toLowerCase();
  const matches = definitions.filter(
    (d) => d.id.toLowerCase() === wanted || d.allAliases.some((a) => a.toLowerCase() === wanted),
  );
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    const ids = matches.map((d) => d.id).sort();
    throw new CliError(`resource type ${quoteInput(typed)} is ambiguous: [${ids.join(' ')}]`, EXIT_FAILURE, [
      `name one of them in full, e.g. \`osctl get ${ids[0]}\``,
    ]);
  }
  const suggestions = closestTypes(definitions, wanted);
  throw new CliError(
    `resource ${quoteInput(typed)} is not registered`,
    EXIT_FAILURE,
    suggestions.length > 0
      ? [`did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?`, 'list the types with `osctl get rd`']
      : ['list the types with `osctl get rd`'],
  );
}

/**
 * Up to three names (aliases or ids) closest to what was typed, by edit distance or prefix. Nothing
 * for input longer than any type name could be: the edit distance costs its length times each name's.
 */
function closestTypes(definitions: readonly ResourceDefinition[], wanted: string): string[] {
  if (wanted.length > LONGEST_SUGGESTIBLE) return [];
  const scored: {name: string; score: number}[] = [];
  for (const d of definitions) {
    let best: {name: string; score: number} | undefined;
    for (const name of [...d.aliases, ...d.allAliases]) {
      const score = name.startsWith(wanted) || wanted.startsWith(name) ? 0.5 : editDistance(name, wanted);
      if (!best || score < best.score) best = {name: d.aliases[0] ?? name, score};
    }
    if (best) scored.push(best);
  }
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  return scored
    .filter((s) => s.score <= limit)
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map((s) => s.name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
