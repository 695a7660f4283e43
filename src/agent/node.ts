// One running osd: reads the node's state dir, publishes its resources, joins discovery and
// serves the API. Usable in-process (tests) as well as from main.ts (the osd process).
import {readFile} from 'node:fs/promises';
import {clusterName, hostname as configuredHostname, machineType} from '../machinery/machineconfig/accessors.js';
import {MachineConfigParseError} from '../machinery/machineconfig/errors.js';
import {parseMachineConfig} from '../machinery/machineconfig/parse.js';
import type {MachineConfigDocument} from '../machinery/machineconfig/types.js';
import {validateMachineConfig} from '../machinery/machineconfig/validate.js';
import {certificateProblem, keyPairProblem, normalizePrivateKeyPem, privateKeyProblem} from '../machinery/pem.js';
import {readBuildInfo} from '../machinery/build-info.js';
import {publishMachineConfig} from './controllers/config.js';
import {ClusterDiscovery, type Affiliate} from './controllers/discovery.js';
import {renderHostname, renderHosts, writeEtcFile, writeMachineId} from './controllers/etc-files.js';
import {fqdn, publishHostname} from './controllers/hostname.js';
import {loadOrCreateNodeId, publishIdentity} from './controllers/identity.js';
import {NetworkStatusController, NODE_ADDRESS_TYPE, type NodeAddressSpec} from './controllers/network.js';
import {publishPlatformMetadata} from './controllers/platform.js';
import {createNodeStore} from './controllers/resource-types.js';
import {OS_NAME, publishVersion} from './controllers/version.js';
import {criService} from './cri/cri-service.js';
import {ProcessRuntime} from './cri/process-runtime.js';
import {endLeftoverGroups, ProcessGroupRecords} from '../machinery/process-groups.js';
import type {ContainerRuntime} from './cri/runtime.js';
import {EtcdService} from './etcd/etcd-service.js';
import {publishEtcdMember} from './etcd/members.js';
import {kubeletService} from './kubelet/kubelet-service.js';
import {applyStaticPods, type ManifestChanges} from './kubelet/manifests.js';
import type {NodeControl} from './lifecycle/control.js';
import type {Logger} from './log.js';
import type {RuntimeEvents} from './events/runtime-events.js';
import type {ServiceLogs} from './logs/service-logs.js';
import {containerLogs} from './server/container-methods.js';
import {AgentServer} from './server/server.js';
import {NodeServices} from './system/node-services.js';
import type {Supervisor} from './system/supervisor.js';
import {statePaths} from './state-dir.js';
import type {ResourceStore} from './store/store.js';

export const DEFAULT_PORT = 50000;
const DEFAULT_API_SERVER_PORT = 6443;
/** How long containers get between SIGTERM and SIGKILL when osd stops (Talos's supervisor: 10 s). */
const CONTAINER_STOP_GRACE_MS = 10_000;

export interface NodeOptions {
  stateDir: string;
  address: string;
  port: number;
  discoveryDir?: string;
  /** Process readouts show the whole host (osd is the host's only agent) instead of osd's own tree. */
  hostAgent?: boolean;
  log: Logger;
  /** Where Reboot, Reset and Shutdown are handed to (main.ts carries them out); without it they answer Unimplemented. */
  control?: NodeControl;
}

export interface RunningNode {
  port: number;
  nodeId: string;
  hostname: string;
  store: ResourceStore;
  /** The node's services (apid, machined, extension services, cri, kubelet). */
  supervisor: Supervisor;
  serviceLogs: ServiceLogs;
  /** The runtime events the Events RPC streams. */
  events: RuntimeEvents;
  /** The container runtime the kubelet's pods run in; it lives until stop(). */
  runtime: ContainerRuntime;
  /** Renders `machine.pods` of a (changed) config into the manifest folder and StaticPods again. */
  renderStaticPods(config: MachineConfigDocument): Promise<ManifestChanges>;
  /** Leaves discovery, stops every service, stops every container, then stops serving. */
  stop(): Promise<void>;
}

/** A problem the operator must fix in the state dir; main.ts prints it and exits 1. */
export class NodeSetupError extends Error {}

export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const paths = statePaths(options.stateDir);
  const services = new NodeServices();
  const log = services.withServiceLog(options.log);
  const {supervisor, serviceLogs, events} = services;
  const config = await loadMachineConfig(paths.config, log);
  const clusterCA = trustedCAs(config, paths.config);
  const serving = await readKeyPair(paths.serverCert, paths.serverKey);
  const forwarding = await readKeyPair(paths.forwardingClientCert, paths.forwardingClientKey);
  const build = readBuildInfo();
  const nodeId = await loadOrCreateNodeId(paths.nodeIdentity).catch((error: Error) => {
    throw new NodeSetupError(`cannot set up the node identity: ${error.message}`);
  });

  const store = createNodeStore();
  publishMachineConfig(store, config);
  publishVersion(store, build.tag);
  publishIdentity(store, nodeId);
  const hostname = publishHostname(store, {
    address: options.address,
    configured: configuredHostname(config),
    warn: (message) => log.warn(message),
  });
  publishPlatformMetadata(store, hostname.hostname);
  const network = new NetworkStatusController(store, {
    address: options.address,
    scope: options.hostAgent === true ? 'host' : 'node',
    sortAlgorithm: config.v1alpha1?.machine?.features?.nodeAddressSortAlgorithm === 'v2' ? 'v2' : 'v1',
    kubernetesSubnets: kubernetesSubnets(config),
    log,
  });
  await network.refresh();
  try {
    await writeEtcFile(store, paths.root, 'hostname', renderHostname(hostname), 0o644);
    await writeMachineId(store, paths.root, nodeId);
    // Talos renders etc/hosts once the node has a default address.
    const defaultAddress = store.get<NodeAddressSpec>({namespace: 'network', type: NODE_ADDRESS_TYPE, id: 'default'})?.spec.addresses[0];
    if (defaultAddress !== undefined) {
      await writeEtcFile(store, paths.root, 'hosts', renderHosts(hostname, defaultAddress.split('/')[0], config), 0o644);
    }
  } catch (error) {
    throw new NodeSetupError(`cannot write the node's files under ${paths.root}/etc: ${(error as Error).message}`);
  }

  // An osd that was killed left its containers' process groups running: end them before starting anew.
  const containerGroups = new ProcessGroupRecords(paths.containerGroups);
  await endLeftoverGroups(containerGroups, 'container', (message) => log.warn(message));
  const runtime = new ProcessRuntime({groups: containerGroups});
  const renderStaticPods = (next: MachineConfigDocument): Promise<ManifestChanges> => applyStaticPods(store, options.stateDir, next, (problem) => log.error(`static pod not rendered: ${problem}`));
  await renderStaticPods(config).catch((error: Error) => {
    throw new NodeSetupError(`cannot write the static pod manifests under ${options.stateDir}: ${error.message}`);
  });
  // The runtime outlives kubelet restarts; what runs in it ends with osd, as a node's containers end with it.
  const stopContainers = (): Promise<void> => runtime.shutdown(CONTAINER_STOP_GRACE_MS);
  const kubelet = kubeletService({
    root: options.stateDir,
    nodename: hostname.hostname,
    hostIP: options.address,
    runtime,
    store,
    log: serviceLogs.writer('kubelet'),
  });

  const type = machineType(config);
  const local: Affiliate = {
    nodeId,
    nodename: hostname.hostname,
    hostname: fqdn(hostname),
    addresses: [options.address],
    machineType: type,
    operatingSystem: `${OS_NAME} (${build.tag})`,
  };
  if (type === 'controlplane' || type === 'init') {
    local.controlPlane = {port: config.v1alpha1?.cluster?.controlPlane?.localAPIServerPort ?? DEFAULT_API_SERVER_PORT};
  }
  // On every node, so that Bootstrap and the etcd methods answer workers with Talos's texts; the
  // service itself runs on control planes whose config has an etcd CA (without one Talos's
  // Bootstrap answers `etcd is not configured`, and there is nothing etcd could serve TLS with).
  const etcd = new EtcdService({
    root: paths.root,
    address: options.address,
    hostname: hostname.hostname,
    config: () => config,
    store,
    supervisor,
    serviceLog: serviceLogs.writer('etcd'),
    log,
    groups: new ProcessGroupRecords(paths.serviceGroups),
  });
  const runsEtcd = (type === 'controlplane' || type === 'init') && etcd.hasEtcdCA();
  let server: AgentServer;
  try {
    server = await AgentServer.start({
      address: options.address,
      port: options.port,
      serverCert: serving.cert,
      serverKey: serving.key,
      clientCAs: clusterCA.trusted,
      forwarding: {ca: clusterCA.issuing, ...forwarding},
      store,
      build,
      machineConfig: () => config,
      services: {supervisor, serviceLogs, events, containerLogs: containerLogs(runtime)},
      log,
      containers: {runtime, processes: () => supervisor.processes()},
      etcd,
      bootstrap: etcd,
      inside: {
        root: paths.root,
        address: options.address,
        scope: options.hostAgent === true ? 'host' : 'node',
        pid: process.pid,
        runtime,
        services: () => supervisor.processes(),
        store,
        machineConfig: () => config,
        log,
      },
      lifecycle: options.control && {control: options.control, root: paths.root, machineType: () => type, events, log},
    });
  } catch (error) {
    throw new NodeSetupError(`cannot listen on ${options.address}:${options.port}: ${(error as Error).message}`);
  }
  // Announce this node only once it can be reached.
  const discovery = new ClusterDiscovery(store, local, {dir: options.discoveryDir, log});
  try {
    await discovery.start();
  } catch (error) {
    await server.stop();
    throw new NodeSetupError(`cannot join discovery in ${options.discoveryDir}: ${(error as Error).message}`);
  }
  // From here on the network statuses follow the kernel.
  network.start();
  await services.start({
    store,
    stateRoot: paths.root,
    apiServer: {address: options.address, port: server.port, stopped: server.stopped},
    log,
    machineConfig: () => config,
    more: [criService(runtime), kubelet, ...(runsEtcd ? [etcd.definition()] : [])],
  });
  const stopPublishingEtcdMember = publishEtcdMember(store, supervisor, () => etcd.localClient());
  log.info(
    `node ${hostname.hostname} (${type}, cluster "${clusterName(config)}", node id ${nodeId}) serving on ${options.address}:${server.port}`,
  );

  return {
    port: server.port,
    nodeId,
    hostname: hostname.hostname,
    store,
    supervisor,
    serviceLogs,
    events,
    runtime,
    renderStaticPods,
    // Leave discovery first, so other nodes stop routing here while open calls finish; no service
    // or container process outlives osd.
    stop: async () => {
      await discovery.stop();
      await services.stop();
      stopPublishingEtcdMember();
      etcd.close();
      await stopContainers();
      await server.stop();
      await network.stop();
    },
  };
}

/** The pod and service subnets (Talos's defaults when unset); undefined without a cluster section. */
function kubernetesSubnets(config: MachineConfigDocument): string[] | undefined {
  const cluster = config.v1alpha1?.cluster;
  if (cluster === undefined || cluster === null) return undefined;
  const pods = cluster.network?.podSubnets ?? [];
  const services = cluster.network?.serviceSubnets ?? [];
  return [...(pods.length > 0 ? pods : ['10.244.0.0/16']), ...(services.length > 0 ? services : ['10.96.0.0/12'])];
}

async function loadMachineConfig(path: string, log: Logger): Promise<MachineConfigDocument> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new NodeSetupError(`cannot read the machine config ${path}: ${(error as Error).message}`);
  }
  let config: MachineConfigDocument;
  try {
    config = parseMachineConfig(new Uint8Array(bytes));
  } catch (error) {
    if (error instanceof MachineConfigParseError) throw new NodeSetupError(`invalid machine config ${path}: ${error.message}`);
    throw error;
  }
  const result = validateMachineConfig(config, {mode: 'metal'});
  for (const warning of result.warnings) log.warn(`machine config ${path}: ${warning}`);
  if (result.issues.length > 0) {
    const lines = result.issues.map(({document, path: field, message}) => {
      const where = [document, field].filter((part) => part !== '').join(' ');
      return `  ${where === '' ? '' : `${where}: `}${message}`;
    });
    throw new NodeSetupError(`invalid machine config ${path}:\n${lines.join('\n')}\nfix these fields and start osd again`);
  }
  return config;
}

/**
 * The CAs from the config: `machine.ca` issues the nodes' certificates; accepted CAs are trusted for
 * clients too. Checked here because a CA that does not parse would fail every handshake later.
 */
function trustedCAs(config: MachineConfigDocument, configPath: string): {issuing: string; trusted: string} {
  const machine = config.v1alpha1?.machine;
  if (machine?.ca?.crt === undefined || machine.ca.crt === '') {
    throw new NodeSetupError('the machine config has no machine.ca.crt: osd needs the Talos API CA to verify clients');
  }
  const invalid = (field: string, problem: string, holds: string): NodeSetupError =>
    new NodeSetupError(`invalid machine config ${configPath}: ${field}: ${problem}; the field must hold the base64 of ${holds} (PEM text)`);
  const certificate = (field: string, base64: string): string => {
    const pem = pemFromBase64(base64);
    const problem = certificateProblem(pem);
    if (problem !== undefined) throw invalid(field, problem, 'a CA certificate');
    return pem;
  };
  const issuing = certificate('machine.ca.crt', machine.ca.crt);
  // GenerateClientConfiguration signs with the key.
  if (machine.ca.key !== undefined && machine.ca.key !== '') {
    const key = pemFromBase64(machine.ca.key);
    const keyError = privateKeyProblem(key);
    const holds = 'the private key of machine.ca.crt';
    if (keyError !== undefined) throw invalid('machine.ca.key', keyError, holds);
    if (keyPairProblem(issuing, key) !== undefined) throw invalid('machine.ca.key', 'this private key does not belong to machine.ca.crt', holds);
  }
  const accepted = (machine.acceptedCAs ?? []).flatMap((ca, index) =>
    ca.crt === undefined || ca.crt === '' ? [] : [certificate(`machine.acceptedCAs[${index}].crt`, ca.crt)],
  );
  return {issuing, trusted: [issuing, ...accepted].join('')};
}

function pemFromBase64(text: string): string {
  const pem = Buffer.from(text, 'base64').toString('utf8');
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

/** A certificate and its key from the state dir (PEM), checked so that a bad file is named now rather than as a failure to listen. */
async function readKeyPair(certPath: string, keyPath: string): Promise<{cert: string; key: string}> {
  const [cert, key] = await Promise.all([readSecret(certPath), readSecret(keyPath)]);
  const problem = (path: string, text: string): NodeSetupError =>
    new NodeSetupError(`${path}: ${text}; osctl cluster create writes the node certificates there`);
  const certError = certificateProblem(cert);
  if (certError !== undefined) throw problem(certPath, certError);
  const keyError = privateKeyProblem(key);
  if (keyError !== undefined) throw problem(keyPath, keyError);
  if (keyPairProblem(cert, key) !== undefined) throw problem(keyPath, `this private key does not belong to the certificate ${certPath}`);
  return {cert, key: normalizePrivateKeyPem(key)};
}

async function readSecret(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new NodeSetupError(`cannot read ${path}: ${(error as Error).message} (osctl cluster create writes the node certificates there)`);
  }
}
