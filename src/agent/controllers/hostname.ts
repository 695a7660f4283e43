// The network hostname controllers: per-layer HostnameSpecs (network-config), the merged spec
// (network) and the HostnameStatus that the node actually uses (talos-resources.md §2.2).
import type {ResourceStore} from '../store/store.js';
import {
  HOSTNAME_SPEC_TYPE,
  HOSTNAME_STATUS_TYPE,
  type HostnameLayer,
  type HostnameSpecSpec,
  type HostnameStatusSpec,
} from './resource-types.js';

const MAX_LABEL = 63;
const MAX_FQDN = 253;

/**
 * Talos's generic network merge controllers are named after the type they merge, "Spec" replaced
 * by "MergeController": HostnameSpecs.net.talos.dev → HostnameMergeControllers.net.talos.dev.
 */
export function mergeControllerName(specType: string): string {
  return specType.replaceAll('Spec', 'MergeController');
}

/** Talos's address-derived default: `talos-10-5-0-2` (dots to dashes, colons dropped). */
export function defaultHostname(address: string): string {
  return `talos-${address.replaceAll('.', '-').replaceAll(':', '')}`;
}

/** Talos's ParseFQDN limits: a non-empty first label of at most 63 characters, at most 253 in all. */
export function isValidHostname(name: HostnameStatusSpec): boolean {
  return name.hostname !== '' && name.hostname.length <= MAX_LABEL && fqdn(name).length <= MAX_FQDN;
}

export function fqdn(status: HostnameStatusSpec): string {
  return status.domainname === '' ? status.hostname : `${status.hostname}.${status.domainname}`;
}

/**
 * Publishes the hostname resources and returns the effective hostname. A configured hostname
 * that is not a valid FQDN is logged and ignored, as Talos does.
 */
export function publishHostname(
  store: ResourceStore,
  input: {address: string; configured?: HostnameStatusSpec; warn: (message: string) => void},
): HostnameStatusSpec {
  const layers: Array<[HostnameLayer, HostnameStatusSpec]> = [
    ['default', {hostname: defaultHostname(input.address), domainname: ''}],
  ];
  const {configured} = input;
  if (configured !== undefined) {
    if (isValidHostname(configured)) layers.push(['configuration', {...configured}]);
    else input.warn(`ignoring the configured hostname: invalid hostname "${fqdn(configured)}"`);
  }

  for (const [layer, spec] of layers) {
    store.put<HostnameSpecSpec>({
      type: HOSTNAME_SPEC_TYPE,
      namespace: 'network-config',
      id: `${layer}/hostname`,
      owner: 'network.HostnameConfigController',
      spec: {...spec, layer},
    });
  }
  // Layers are in priority order, lowest first: the last one wins.
  const [winningLayer, effective] = layers[layers.length - 1];
  store.put<HostnameSpecSpec>({
    type: HOSTNAME_SPEC_TYPE,
    namespace: 'network',
    id: 'hostname',
    owner: mergeControllerName(HOSTNAME_SPEC_TYPE),
    spec: {...effective, layer: winningLayer},
  });
  store.put<HostnameStatusSpec>({
    type: HOSTNAME_STATUS_TYPE,
    id: 'hostname',
    owner: 'network.HostnameSpecController',
    spec: {...effective},
  });
  return effective;
}
