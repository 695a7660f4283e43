import { parseMachineType } from './accessors.js';
import { documentId, kindSpec } from './documents.js';
import { formatMultiError, leafProblems, renderProblem, type Problem, type ProblemNode } from './errors.js';
import type { HostDNS, MachineConfigDocument } from './types.js';
import { validateV1Alpha1, type ValidationOptions } from './validate-v1alpha1.js';

export type { ValidationMode, ValidationOptions } from './validate-v1alpha1.js';

export interface ValidationIssue {
  /** `v1alpha1`, a document id such as `ExtensionServiceConfig/nut-client`, or `` for whole-config checks. */
  document: string;
  /** Field inside that document, e.g. `machine.network.interfaces[0].routes[1].gateway`. */
  path: string;
  /** The problem in Talos' wording. */
  message: string;
}

export interface ValidationResult {
  /** One message per problem, in the order of `message`. */
  errors: string[];
  /** The same problems with the document and field they are about. */
  issues: ValidationIssue[];
  warnings: string[];
  /** The whole error as Talos prints it (hashicorp multierror text); absent when valid. */
  message?: string;
}

/**
 * One entry of the top-level multierror list. A wrapped entry prints its
 * problems as one nested list (`v1alpha1.Config: 2 errors occurred: …`); an
 * unwrapped entry holds exactly one problem.
 */
interface Entry {
  document: string;
  problems: ProblemNode[];
  wrap?: { prefix: string; format: 'multierror' | 'joined' };
}

function renderEntry(entry: Entry): string {
  return renderProblem(entry.wrap ? { ...entry.wrap, items: entry.problems } : entry.problems[0]);
}

/** Talos `container.NetworkHostDNSConfig`: the ResolverConfig document's settings win over v1alpha1. */
function effectiveHostDNS(cfg: MachineConfigDocument): HostDNS | undefined {
  const resolver = cfg.documents.find((doc) => doc.kind === 'ResolverConfig');
  return resolver?.hostDNS ?? cfg.v1alpha1?.machine?.features?.hostDNS;
}

/** Checks that need the whole configuration (Talos `validateContainer`). */
function containerProblems(cfg: MachineConfigDocument, options: ValidationOptions): Problem[] {
  const problems: Problem[] = [];
  const hostDNS = effectiveHostDNS(cfg);
  const hostDNSPath = 'machine.features.hostDNS';
  if (options.mode === 'container') {
    if (!hostDNS) problems.push({ path: hostDNSPath, message: 'hostDNS config is required in container mode' });
    else {
      if (!hostDNS.enabled) problems.push({ path: `${hostDNSPath}.enabled`, message: 'hostDNS must be enabled in container mode' });
      if (!hostDNS.forwardKubeDNSToHost) {
        problems.push({ path: `${hostDNSPath}.forwardKubeDNSToHost`, message: 'forwardKubeDNSToHost must be enabled in container mode' });
      }
    }
  }
  const resolver = cfg.documents.find((doc) => doc.kind === 'ResolverConfig');
  const encryptedDNS = resolver?.nameservers?.some((ns) => (ns?.protocol || 'Do53') !== 'Do53');
  if (encryptedDNS && !hostDNS?.enabled) {
    problems.push({ path: hostDNSPath, message: 'hostDNS must be enabled when using non-default DNS protocols' });
  }
  const v1alpha1 = cfg.v1alpha1;
  if (v1alpha1?.machine?.network?.kubespan?.enabled && !v1alpha1.cluster?.discovery?.enabled) {
    problems.push({ path: 'cluster.discovery.enabled', message: 'KubeSpan requires cluster discovery to be enabled' });
  }
  const type = v1alpha1?.machine ? parseMachineType(v1alpha1.machine.type) : 'unknown';
  const cluster = v1alpha1?.cluster;
  if ((type === 'controlplane' || type === 'init') && !cluster?.secretboxEncryptionSecret && !cluster?.aescbcEncryptionSecret) {
    problems.push({
      path: 'cluster.secretboxEncryptionSecret',
      message: 'etcd encryption config is required for control plane machines running kube-apiserver',
    });
  }
  return problems;
}

/**
 * Validates a parsed configuration the way Talos does before applying it:
 * the v1alpha1 document (errors wrapped as `v1alpha1.Config: …`), every other
 * document (`<Kind>/<name>: …`), their conflicts with v1alpha1, then checks of
 * the whole configuration.
 */
export function validateMachineConfig(cfg: MachineConfigDocument, options: ValidationOptions): ValidationResult {
  const entries: Entry[] = [];
  const warnings: string[] = [];

  if (cfg.v1alpha1) {
    const result = validateV1Alpha1(cfg.v1alpha1, options);
    warnings.push(...result.warnings);
    if (result.problems.length > 0) {
      entries.push({ document: 'v1alpha1', problems: result.problems, wrap: { prefix: 'v1alpha1.Config: ', format: 'multierror' } });
    }
  }
  for (const doc of cfg.documents) {
    const problems = kindSpec(doc).validate(doc);
    const id = documentId(doc);
    if (problems.length > 0) entries.push({ document: id, problems, wrap: { prefix: `${id}: `, format: 'joined' } });
  }
  if (cfg.v1alpha1) {
    for (const doc of cfg.documents) {
      const conflict = kindSpec(doc).conflict?.(doc, cfg.v1alpha1);
      if (conflict) entries.push({ document: documentId(doc), problems: [conflict] });
    }
  }
  for (const problem of containerProblems(cfg, options)) entries.push({ document: '', problems: [problem] });

  // The document a problem belongs to is carried by `document`, not by a message prefix.
  const issues = entries.flatMap(({ document, problems }) =>
    problems.flatMap((node) => leafProblems(node)).map((p) => ({ document, ...p })),
  );
  return {
    errors: issues.map((issue) => issue.message),
    issues,
    warnings,
    message: entries.length > 0 ? formatMultiError(entries.map(renderEntry)) : undefined,
  };
}
