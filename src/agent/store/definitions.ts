// The COSI meta types (ResourceDefinitions, Namespaces) and the Fill() rules that derive a
// ResourceDefinition from a type's declaration (talos-resources.md §1.2).
import type {PrintColumn, ResourceTypeDefinition} from './resource.js';

export const META_NAMESPACE = 'meta';
/** COSI's registries create every ResourceDefinition and Namespace with this owner. */
export const META_OWNER = 'meta';
export const RESOURCE_DEFINITION_TYPE = 'ResourceDefinitions.meta.cosi.dev';
export const NAMESPACE_TYPE = 'Namespaces.meta.cosi.dev';

/** The RD spec; key order and omitted keys are exactly those of its YAML rendering. */
export interface ResourceDefinitionSpec {
  type: string;
  displayType: string;
  defaultNamespace: string;
  aliases: string[];
  allAliases: string[];
  printColumns: PrintColumn[];
  /** Present only for sensitive types. */
  sensitivity?: 'sensitive';
}

export interface NamespaceSpec {
  description: string;
}

const CANONICAL_TYPE = /^([A-Z][A-Za-z0-9]*)\.([a-z0-9-]+(?:\.[a-z0-9-]+)+)$/;

/** The ResourceDefinition spec for a type: COSI's Fill() rules. */
export function fillResourceDefinition(definition: ResourceTypeDefinition): ResourceDefinitionSpec {
  const match = CANONICAL_TYPE.exec(definition.type);
  if (match === null) {
    throw new Error(
      `resource type "${definition.type}" must look like <PluralCamelName>.<dotted.suffix>, e.g. "MachineConfigs.config.talos.dev"`,
    );
  }
  const [, name, suffix] = match;
  const displayType = singularize(name);

  const aliases = [...(definition.aliases ?? []), displayType.toLowerCase()];
  const initials = name.replace(/[^A-Z]/g, '').toLowerCase();
  if (initials.length >= 2) {
    aliases.push(initials);
    if (!initials.endsWith('s')) aliases.push(`${initials}s`);
  }

  const plural = name.toLowerCase();
  const suffixParts = suffix.split('.');
  const allAliases = [plural];
  for (let length = 1; length < suffixParts.length; length++) {
    allAliases.push(`${plural}.${suffixParts.slice(0, length).join('.')}`);
  }
  allAliases.push(...aliases);

  const spec: ResourceDefinitionSpec = {
    type: definition.type,
    displayType,
    defaultNamespace: definition.defaultNamespace,
    aliases,
    allAliases,
    printColumns: (definition.printColumns ?? []).map(({name: columnName, jsonPath}) => ({name: columnName, jsonPath})),
  };
  if (definition.sensitive === true) spec.sensitivity = 'sensitive';
  return spec;
}

// The English singular rules that matter for resource type names, most specific first.
const SINGULAR_RULES: Array<[RegExp, string]> = [
  [/(ss)es$/, '$1'], // Addresses, Processes
  [/(alias|status|bus)es$/i, '$1'], // Statuses, Aliases
  [/(x|ch|sh|zz)es$/, '$1'], // Boxes, Patches
  [/([^aeiou])ies$/, '$1y'], // Identities, Policies
  [/([^s])s$/, '$1'], // Members, Services
];

/** `HostnameStatuses` → `HostnameStatus`, `Identities` → `Identity`. */
export function singularize(plural: string): string {
  for (const [pattern, replacement] of SINGULAR_RULES) {
    if (pattern.test(plural)) return plural.replace(pattern, replacement);
  }
  return plural;
}

export const resourceDefinitionsType: ResourceTypeDefinition<ResourceDefinitionSpec> = {
  type: RESOURCE_DEFINITION_TYPE,
  defaultNamespace: META_NAMESPACE,
  aliases: ['api-resources'],
  printColumns: [{name: 'Aliases', jsonPath: '{.aliases[:]}'}],
};

export const namespacesType: ResourceTypeDefinition<NamespaceSpec> = {
  type: NAMESPACE_TYPE,
  defaultNamespace: META_NAMESPACE,
  aliases: ['ns'],
};

export const META_NAMESPACE_DESCRIPTION = 'Metadata namespace which contains resource and namespace definitions.';
