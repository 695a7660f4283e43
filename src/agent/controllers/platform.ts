// PlatformMetadatas.talos.dev/platformmetadata: what the platform says about the machine. For
// osd the platform is `osd` and the hostname is the node's; osd runs on no cloud, so region,
// zone, instance type and id, provider id, spot and the DNS names stay empty (omitempty), as on
// Talos's metal platform. (The spec has no address field: the node's address is in NodeAddresses.)
import {PlatformMetadataSpec as PlatformMetadataSpecProto} from '../../machinery/api/resource/definitions/runtime/runtime.js';
import {toGoYaml} from '../../machinery/yaml-emit.js';
import type {ResourceTypeDefinition} from '../store/resource.js';
import type {ResourceStore} from '../store/store.js';

export const PLATFORM_METADATA_TYPE = 'PlatformMetadatas.talos.dev';
export const PLATFORM_METADATA_ID = 'platformmetadata';
export const PLATFORM_NAME = 'osd';

export interface PlatformMetadataSpec {
  platform: string;
  hostname: string;
}

export const platformMetadataType: ResourceTypeDefinition<PlatformMetadataSpec> = {
  type: PLATFORM_METADATA_TYPE,
  defaultNamespace: 'runtime',
  printColumns: [
    {name: 'Platform', jsonPath: '{.platform}'},
    {name: 'Type', jsonPath: '{.instanceType}'},
    {name: 'Region', jsonPath: '{.region}'},
    {name: 'Zone', jsonPath: '{.zone}'},
  ],
  // Every field is omitempty.
  yamlSpec: ({platform, hostname}) =>
    toGoYaml({platform: platform === '' ? undefined : platform, hostname: hostname === '' ? undefined : hostname}),
  protoSpec: (spec) => PlatformMetadataSpecProto.encode({...PlatformMetadataSpecProto.fromPartial({}), ...spec}).finish(),
};

export function publishPlatformMetadata(store: ResourceStore, hostname: string): void {
  store.put<PlatformMetadataSpec>({
    type: PLATFORM_METADATA_TYPE,
    id: PLATFORM_METADATA_ID,
    // Talos split its platform config controller into load/apply/store; apply writes this one.
    owner: 'network.PlatformConfigApplyController',
    spec: {platform: PLATFORM_NAME, hostname},
  });
}
