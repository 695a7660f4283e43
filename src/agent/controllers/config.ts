// The machine config as resources: MachineConfigs/v1alpha1 (the text the node runs, written
// directly by the agent, hence no owner) and config.MachineTypeController's MachineTypes.
import {machineType} from '../../machinery/machineconfig/accessors.js';
import type {MachineConfigDocument} from '../../machinery/machineconfig/types.js';
import type {ResourceStore} from '../store/store.js';
import {MACHINE_CONFIG_TYPE, MACHINE_TYPE_TYPE, type MachineConfigSpec, type MachineTypeSpec} from './resource-types.js';

export function publishMachineConfig(store: ResourceStore, config: MachineConfigDocument): void {
  store.put<MachineConfigSpec>({
    type: MACHINE_CONFIG_TYPE,
    id: 'v1alpha1',
    spec: config.raw,
    // Tells clients that yaml_spec is the config text itself (Talos ≥ 1.12).
    annotations: {'talos.dev/yaml-spec': '1'},
  });
  store.put<MachineTypeSpec>({
    type: MACHINE_TYPE_TYPE,
    id: 'machine-type',
    owner: 'config.MachineTypeController',
    spec: machineType(config),
  });
}
