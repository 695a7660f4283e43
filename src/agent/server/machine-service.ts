// machine.MachineService: the methods osd implements so far. Every unary response follows the
// envelope pattern: exactly one element in `messages`, its metadata unset (talos-api.md §3.2).
import {status} from '@grpc/grpc-js';
import {toGoYaml} from '../../machinery/yaml-emit.js';
import {MachineServiceService, type GenerateClientConfigurationRequest} from '../../machinery/api/machine/machine.js';
import type {Duration} from '../../machinery/api/google/protobuf/duration.js';
import {clusterName} from '../../machinery/machineconfig/accessors.js';
import type {MachineConfigDocument} from '../../machinery/machineconfig/types.js';
import {KNOWN_ROLES, parseRoles} from '../../machinery/roles.js';
import type {BuildInfo} from '../../machinery/build-info.js';
import {
  HOSTNAME_STATUS_TYPE,
  MACHINE_TYPE_TYPE,
  type HostnameStatusSpec,
  type MachineTypeSpec,
} from '../controllers/resource-types.js';
import {OS_NAME} from '../controllers/version.js';
import type {ResourceStore} from '../store/store.js';
import {unaryMethod, type LocalMethod} from './methods.js';
import {RpcError} from './rpc-error.js';

export interface MachineServiceContext {
  store: ResourceStore;
  build: BuildInfo;
  /** The machine config the node runs. */
  machineConfig: () => MachineConfigDocument;
}

const utf8 = new TextEncoder();

export function machineMethods(context: MachineServiceContext): Array<[string, LocalMethod]> {
  const {store, build} = context;
  return [
    unaryMethod(MachineServiceService.version, () => ({
      messages: [
        {
          version: {
            tag: build.tag,
            sha: build.sha,
            built: build.built,
            goVersion: build.runtime,
            os: build.os,
            arch: build.arch,
          },
          platform: {name: OS_NAME, mode: 'metal'},
          // osd never runs without a machine config, and RBAC is always on.
          features: {rbac: true},
        },
      ],
    })),

    unaryMethod(MachineServiceService.hostname, () => {
      const hostname = store.get<HostnameStatusSpec>({namespace: 'network', type: HOSTNAME_STATUS_TYPE, id: 'hostname'});
      return {messages: [{hostname: hostname?.spec.hostname ?? ''}]};
    }),

    unaryMethod(MachineServiceService.generateClientConfiguration, async (request) => {
      const machineType = store.get<MachineTypeSpec>({namespace: 'config', type: MACHINE_TYPE_TYPE, id: 'machine-type'})?.spec;
      const generated = await generateClientConfiguration(request, context.machineConfig(), machineType ?? 'unknown');
      return {messages: [generated]};
    }),
  ];
}

/** Every MachineService method without a local handler answers this. */
export function notImplemented(path: string): RpcError {
  const method = path.slice(path.lastIndexOf('/') + 1);
  return new RpcError(status.UNIMPLEMENTED, `${method} is not implemented by osd yet`);
}

/** talos-resources.md §3. */
async function generateClientConfiguration(
  request: GenerateClientConfigurationRequest,
  config: MachineConfigDocument,
  machineType: MachineTypeSpec,
): Promise<{ca: Uint8Array; crt: Uint8Array; key: Uint8Array; talosconfig: Uint8Array}> {
  if (machineType === 'unknown') {
    throw new RpcError(status.UNIMPLEMENTED, 'machine type is not set, cannot use generate client configuration API');
  }
  if (machineType !== 'controlplane' && machineType !== 'init') {
    throw new RpcError(status.UNIMPLEMENTED, 'generate client configuration is only available on control plane nodes');
  }
  const ttlMs = durationMs(request.crtTtl);
  if (ttlMs <= 0) throw new RpcError(status.INVALID_ARGUMENT, 'crt_ttl should be positive');
  if (Date.now() + ttlMs > LATEST_NOT_AFTER_MS) {
    throw new RpcError(
      status.INVALID_ARGUMENT,
      `crt_ttl ${request.crtTtl!.seconds}s ends after ${new Date(LATEST_NOT_AFTER_MS).toISOString().replace('.000', '')}, the latest end date a certificate can have (RFC 5280)`,
    );
  }
  const {known: roles, unknown} = parseRoles(request.roles);
  // Talos would issue a certificate holding them; such a role grants nothing, and one with a comma
  // (`x,os:admin`) reads like two to anything that splits role lists.
  if (unknown.length > 0) {
    const named = unknown.map((role) => JSON.stringify(role)).join(', ');
    throw new RpcError(
      status.INVALID_ARGUMENT,
      `${unknown.length === 1 ? 'unknown role' : 'unknown roles'} ${named}: valid roles are ${KNOWN_ROLES.join(', ')}`,
    );
  }

  const machineCA = config.v1alpha1?.machine?.ca;
  if (machineCA?.crt === undefined || machineCA.crt === '' || machineCA.key === undefined || machineCA.key === '') {
    throw new RpcError(
      status.FAILED_PRECONDITION,
      'machine.ca.crt and machine.ca.key must both be set in the machine config to issue client certificates',
    );
  }
  const ca = {crt: fromBase64(machineCA.crt), key: fromBase64(machineCA.key)};
  // @peculiar/x509 is heavy and only this method needs it.
  const {issueClientCert} = await import('../../machinery/pki.js');
  const issued = await issueClientCert(ca, {roles, ttlMs});

  const cluster = clusterName(config);
  const contextName = roles.length === 1 ? `${roles[0].replace(/^os:/, '')}@${cluster}` : cluster;
  // As Talos writes it (yaml.v3, fields in its struct order).
  const talosconfig = toGoYaml({
    context: contextName,
    contexts: {
      [contextName]: {endpoints: [], ca: toBase64(ca.crt), crt: toBase64(issued.crt), key: toBase64(issued.key)},
    },
  });
  return {ca: utf8.encode(ca.crt), crt: utf8.encode(issued.crt), key: utf8.encode(issued.key), talosconfig: utf8.encode(talosconfig)};
}

/** 9999-12-31T23:59:59Z: X.509's GeneralizedTime has four year digits. */
const LATEST_NOT_AFTER_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

function durationMs(duration: Duration | undefined): number {
  if (duration === undefined) return 0;
  return Number(duration.seconds) * 1000 + duration.nanos / 1e6;
}

function fromBase64(text: string): string {
  return Buffer.from(text, 'base64').toString('utf8');
}

function toBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
