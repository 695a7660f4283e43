// Machine configuration: parsing, validation, accessors and generation,
// compatible with Talos' multi-document format and error wording.

export { parseMachineConfig } from './parse.js';
export { validateMachineConfig } from './validate.js';
export type { ValidationIssue, ValidationMode, ValidationOptions, ValidationResult } from './validate.js';
export { clusterName, hostname, machineType, staticPods } from './accessors.js';
export type { MachineType, StaticPod } from './accessors.js';
export { newMachineConfig, renderMachineConfig } from './render.js';
export type { NewMachineConfigOptions } from './render.js';
export { formatMultiError, MachineConfigParseError } from './errors.js';
export type * from './types.js';
