import type { Problem } from './errors.js';
import { checkDNS1123Subdomain, parseIP, parseURL } from './net.js';
import { any, bool, documentMeta, list, str, struct, type Shape } from './schema.js';
import type {
  ConfigDocument,
  DocumentKind,
  ExtensionServiceConfigDocument,
  HostnameConfigDocument,
  KubeStaticPodConfigDocument,
  RegistryMirrorConfigDocument,
  ResolverConfigDocument,
  StaticHostConfigDocument,
  TimeSyncConfigDocument,
  V1Alpha1Config,
} from './types.js';

// The multi-document kinds we understand (all apiVersion v1alpha1). Each entry
// holds the facts for one kind: its keys, whether documents are named, its own
// checks (joined like Go's errors.Join) and its conflicts with the v1alpha1
// document (a single error, printed unwrapped).

interface KindSpec<D extends ConfigDocument> {
  /** Go type, as printed in Talos decode errors. */
  goType: string;
  shape: Shape;
  /** Named kinds are identified as `<Kind>/<name>`, the others as `<Kind>`. */
  named: boolean;
  validate(doc: D): Problem[];
  conflict?(doc: D, v1alpha1: V1Alpha1Config): Problem | undefined;
}

const problem = (path: string, message: string): Problem => ({ path, message });

/** `bootTimeout` is a Go duration string; validation only cares about its sign. */
const isNegativeDuration = (duration: string | undefined) => duration !== undefined && duration.trim().startsWith('-');

const hostnameConfig: KindSpec<HostnameConfigDocument> = {
  goType: '*network.HostnameConfigV1Alpha1',
  shape: struct('network.HostnameConfigV1Alpha1', { ...documentMeta, auto: str, hostname: str }),
  named: false,
  validate(doc) {
    const problems: Problem[] = [];
    const hostname = doc.hostname ?? '';
    if (doc.auto === undefined && hostname === '') {
      problems.push(problem('hostname', "either 'auto' or 'hostname' must be set"));
    }
    if (doc.auto !== undefined && doc.auto !== 'off' && hostname !== '') {
      problems.push(problem('auto', "'auto' and 'hostname' cannot be set at the same time"));
    }
    if (doc.auto !== undefined && doc.auto !== 'off' && doc.auto !== 'stable') {
      problems.push(problem('auto', `invalid value for 'auto': ${doc.auto}`));
    }
    if (hostname !== '') {
      if (hostname.length > 253) problems.push(problem('hostname', `fqdn is too long: ${hostname.length}`));
      const first = hostname.split('.')[0];
      if (first.length === 0 || first.length > 63) problems.push(problem('hostname', `invalid hostname ${JSON.stringify(first)}`));
    }
    return problems;
  },
  conflict(_doc, v1alpha1) {
    if (v1alpha1.machine?.network?.hostname) {
      return problem('hostname', 'static hostname is already set in v1alpha1 config');
    }
    if (v1alpha1.machine?.features?.stableHostname) {
      return problem('auto', 'stable hostname is already set in v1alpha1 config');
    }
    return undefined;
  },
};

const extensionServiceConfig: KindSpec<ExtensionServiceConfigDocument> = {
  goType: '*runtime.ExtensionServiceConfigV1Alpha1',
  shape: struct('runtime.ExtensionServiceConfigV1Alpha1', {
    ...documentMeta,
    name: str,
    configFiles: list(struct('runtime.ConfigFile', { content: str, mountPath: str })),
    environment: list(str),
  }),
  named: true,
  // Talos stops at the first failure for this kind.
  validate(doc) {
    const name = doc.name ?? '';
    if (name === '') return [problem('name', 'name is required')];
    const files = doc.configFiles ?? [];
    if (files.length === 0 && (doc.environment ?? []).length === 0) {
      return [problem('configFiles', `no config files found for extension ${JSON.stringify(name)}`)];
    }
    for (const [i, file] of files.entries()) {
      if (!file?.content) return [problem(`configFiles[${i}].content`, `extension content is required for extension ${JSON.stringify(name)}`)];
      if (!file.mountPath) return [problem(`configFiles[${i}].mountPath`, `extension mount path is required for extension ${JSON.stringify(name)}`)];
    }
    return [];
  },
};

const hostDNSShape = struct('network.HostDNSConfig', { enabled: bool, forwardKubeDNSToHost: bool, resolveMemberNames: bool });
const dnsProtocols = new Set(['Do53', 'DoT', 'DoH']);

const resolverConfig: KindSpec<ResolverConfigDocument> = {
  goType: '*network.ResolverConfigV1Alpha1',
  shape: struct('network.ResolverConfigV1Alpha1', {
    ...documentMeta,
    nameservers: list(struct('network.NameserverConfig', { address: str, protocol: str, tlsServerName: str })),
    searchDomains: struct('network.SearchDomainsConfig', { domains: list(str), disableDefault: bool }),
    hostDNS: hostDNSShape,
  }),
  named: false,
  validate(doc) {
    const problems: Problem[] = [];
    const hostDNS = doc.hostDNS;
    if (hostDNS && !hostDNS.enabled) {
      if (hostDNS.forwardKubeDNSToHost) {
        problems.push(problem('hostDNS.forwardKubeDNSToHost', 'hostDNS.forwardKubeDNSToHost cannot be enabled when hostDNS.enabled is false'));
      }
      if (hostDNS.resolveMemberNames) {
        problems.push(problem('hostDNS.resolveMemberNames', 'hostDNS.resolveMemberNames cannot be enabled when hostDNS.enabled is false'));
      }
    }
    for (const [i, nameserver] of (doc.nameservers ?? []).entries()) {
      const protocol = nameserver?.protocol || 'Do53';
      const tlsServerName = nameserver?.tlsServerName ?? '';
      const path = `nameservers[${i}]`;
      if (!dnsProtocols.has(protocol)) {
        problems.push(problem(`${path}.protocol`, `unsupported DNS protocol: entry ${i}`));
      } else if (protocol === 'Do53' && tlsServerName !== '') {
        problems.push(problem(`${path}.tlsServerName`, `tlsServerName must be empty when protocol is Do53: entry ${i}`));
      } else if (protocol !== 'Do53' && tlsServerName === '') {
        problems.push(problem(`${path}.tlsServerName`, `tlsServerName must be set when protocol is ${protocol}: entry ${i}`));
      }
      if (!parseIP(nameserver?.address ?? '', true)) {
        problems.push(problem(`${path}.address`, `nameserver address must be a valid IP: entry ${i}`));
      }
    }
    return problems;
  },
  conflict(doc, v1alpha1) {
    const network = v1alpha1.machine?.network;
    if ((doc.searchDomains?.domains ?? []).length > 0 && (network?.searchDomains ?? []).length > 0) {
      return problem('searchDomains.domains', '.machine.network.searchDomains is already set in v1alpha1 config');
    }
    if ((doc.nameservers ?? []).length > 0 && (network?.nameservers ?? []).length > 0) {
      return problem('nameservers', '.machine.network.nameservers is already set in v1alpha1 config');
    }
    if (doc.searchDomains?.disableDefault && network?.disableSearchDomain) {
      return problem('searchDomains.disableDefault', '.machine.network.disableSearchDomain is already set in v1alpha1 config');
    }
    if (doc.hostDNS && v1alpha1.machine?.features?.hostDNS) {
      return problem('hostDNS', '.machine.features.hostDNS is already set in v1alpha1 config');
    }
    return undefined;
  },
};

const timeSyncConfig: KindSpec<TimeSyncConfigDocument> = {
  goType: '*network.TimeSyncConfigV1Alpha1',
  shape: struct('network.TimeSyncConfigV1Alpha1', {
    ...documentMeta,
    enabled: bool,
    bootTimeout: str,
    ntp: struct('network.NTPConfig', { servers: list(str), useNTS: bool }),
    ptp: struct('network.PTPConfig', { devices: list(str) }),
  }),
  named: false,
  validate(doc) {
    const problems: Problem[] = [];
    if (isNegativeDuration(doc.bootTimeout)) problems.push(problem('bootTimeout', 'bootTimeout cannot be negative'));
    if (doc.ntp && doc.ptp) problems.push(problem('ptp', 'only one of ntp or ptp configuration can be specified'));
    if (doc.ntp?.useNTS) {
      for (const [i, server] of (doc.ntp.servers ?? []).entries()) {
        if (parseIP(server, true)) {
          problems.push(problem(`ntp.servers[${i}]`, `NTS requires hostnames, not IP addresses: ${JSON.stringify(server)}`));
        }
      }
    }
    return problems;
  },
  conflict(_doc, v1alpha1) {
    const time = v1alpha1.machine?.time;
    if (!time) return undefined;
    if (time.disabled) return problem('enabled', 'time sync cannot be disabled in both v1alpha1 and new-style configuration');
    if ((time.servers ?? []).length > 0) return problem('ntp.servers', 'time servers cannot be specified in both v1alpha1 and new-style configuration');
    if (time.bootTimeout && !/^[-+]?0+(\.0*)?[a-zµ]*$/.test(time.bootTimeout)) {
      return problem('bootTimeout', 'boot timeout cannot be specified in both v1alpha1 and new-style configuration');
    }
    return undefined;
  },
};

const staticHostConfig: KindSpec<StaticHostConfigDocument> = {
  goType: '*network.StaticHostConfigV1Alpha1',
  shape: struct('network.StaticHostConfigV1Alpha1', { ...documentMeta, name: str, hostnames: list(str) }),
  named: true,
  validate(doc) {
    const problems: Problem[] = [];
    if (!doc.name) problems.push(problem('name', 'name is required'));
    else if (!parseIP(doc.name, true)) problems.push(problem('name', 'name must be a valid IP address'));
    if ((doc.hostnames ?? []).length === 0) problems.push(problem('hostnames', 'at least one hostname is required'));
    return problems;
  },
};

const registryMirrorConfig: KindSpec<RegistryMirrorConfigDocument> = {
  goType: '*cri.RegistryMirrorConfigV1Alpha1',
  shape: struct('cri.RegistryMirrorConfigV1Alpha1', {
    ...documentMeta,
    name: str,
    endpoints: list(struct('cri.RegistryEndpoint', { url: str, overridePath: bool })),
    skipFallback: bool,
  }),
  named: true,
  validate(doc) {
    const problems: Problem[] = [];
    if (!doc.name) problems.push(problem('name', 'name must be specified'));
    for (const [i, endpoint] of (doc.endpoints ?? []).entries()) {
      const url = endpoint?.url ?? '';
      if (url === '') {
        problems.push(problem(`endpoints[${i}].url`, `endpoints[${i}].url must be specified`));
        continue;
      }
      const parsed = parseURL(url);
      const scheme = 'error' in parsed ? '' : parsed.scheme;
      if (scheme !== 'http' && scheme !== 'https') {
        problems.push(problem(`endpoints[${i}].url`, `endpoints[${i}].url has unsupported scheme: ${JSON.stringify(scheme)}`));
      }
    }
    return problems;
  },
};

const kubeStaticPodConfig: KindSpec<KubeStaticPodConfigDocument> = {
  goType: '*k8s.KubeStaticPodConfigV1Alpha1',
  shape: struct('k8s.KubeStaticPodConfigV1Alpha1', { ...documentMeta, name: str, pod: any }),
  named: true,
  validate(doc) {
    const problems: Problem[] = [];
    if (!doc.name) {
      problems.push(problem('name', 'static pod name is required'));
    } else {
      const invalid = checkDNS1123Subdomain(doc.name);
      if (invalid) problems.push(problem('name', `static pod name is invalid: ${invalid}`));
    }
    const pod = doc.pod;
    if (typeof pod !== 'object' || pod === null || Object.keys(pod).length === 0) {
      problems.push(problem('pod', 'static pod spec is required'));
    }
    return problems;
  },
};

type KindSpecs = { [K in DocumentKind]: KindSpec<Extract<ConfigDocument, { kind: K }>> };

export const documentKinds: KindSpecs = {
  HostnameConfig: hostnameConfig,
  ExtensionServiceConfig: extensionServiceConfig,
  ResolverConfig: resolverConfig,
  TimeSyncConfig: timeSyncConfig,
  StaticHostConfig: staticHostConfig,
  RegistryMirrorConfig: registryMirrorConfig,
  KubeStaticPodConfig: kubeStaticPodConfig,
};

export function isDocumentKind(kind: string): kind is DocumentKind {
  return Object.prototype.hasOwnProperty.call(documentKinds, kind);
}

/** The spec of a document's kind, typed loosely so callers can handle any document. */
export function kindSpec(doc: ConfigDocument): KindSpec<ConfigDocument> {
  return documentKinds[doc.kind] as unknown as KindSpec<ConfigDocument>;
}

/** `<Kind>/<name>` for named kinds, `<Kind>` for the others (Talos document ids). */
export function documentId(doc: ConfigDocument): string {
  const name = 'name' in doc ? (doc.name ?? '') : '';
  return kindSpec(doc).named ? `${doc.kind}/${name}` : doc.kind;
}
