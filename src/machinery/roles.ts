// Talos API roles (talos-api.md §6.3): the Organization values of a client certificate, the values
// of `talos-role` metadata, and what GenerateClientConfiguration and `config new --roles` accept.

export const Role = {
  admin: 'os:admin',
  operator: 'os:operator',
  reader: 'os:reader',
  etcdBackup: 'os:etcd:backup',
  imageVerifier: 'os:image:verifier',
  metaWriter: 'os:meta:writer',
  impersonator: 'os:impersonator',
} as const;

/** Every role name, sorted. None contains a comma or a space. */
export const KNOWN_ROLES: readonly string[] = Object.values(Role).sort();

const known: ReadonlySet<string> = new Set(KNOWN_ROLES);

export function isKnownRole(value: string): boolean {
  return known.has(value);
}

/**
 * Role values as Talos reads them (role.Parse): trimmed, empty values dropped, each role once, sorted.
 * `known` are the roles that can grant anything; `unknown` lists the other values as given, which
 * grant nothing (a value such as `x,os:admin` is one unknown role).
 */
export function parseRoles(values: readonly string[]): {known: string[]; unknown: string[]} {
  const found = new Set<string>();
  const unknown: string[] = [];
  for (const value of values) {
    const role = value.trim();
    if (role === '') continue;
    if (known.has(role)) found.add(role);
    else if (!unknown.includes(role)) unknown.push(role);
  }
  return {known: [...found].sort(), unknown};
}
