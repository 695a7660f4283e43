// runtime.VersionController: Versions.runtime.talos.dev/version.
import type {ResourceStore} from '../store/store.js';
import {VERSION_TYPE, type VersionSpec} from './resource-types.js';

export const OS_NAME = 'osd';

export function publishVersion(store: ResourceStore, tag: string): void {
  store.put<VersionSpec>({type: VERSION_TYPE, id: 'version', owner: 'runtime.VersionController', spec: {name: OS_NAME, version: tag}});
}
