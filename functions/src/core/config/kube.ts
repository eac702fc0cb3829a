import { z } from 'zod';
import { zodIssueText } from '../logs/log-entry.js';
import { emptyClusterModel, lastSegment, regionOfLocation, resourcePath } from '../model/cluster.js';
import type { PolicyKind, PolicyRef, RuleOrigin } from '../firewall/rule.js';
import { ConfigError, parseConfigCidr, toFirewallRule, toPolicyRule, type ProtocolInput } from './firewall-input.js';
import { findPlaceholders } from './placeholders.js';
import type { Location, NetworkConfig, ReferenceField } from './specs.js';

/** Receives what the converters produce; rejections carry their location and reason. */
export interface ConfigSink {
  config: NetworkConfig;
  reject(source: Location, reason: string): void;
  /**
   * Manifests are what will be applied; exports are what exists; a plan's changes are what would
   * exist once applied, so they win over both. Only manifests' references are checked.
   */
  kind: 'manifest' | 'export' | 'plan';
}

const manifestOrigin = (sink: ConfigSink): RuleOrigin => (sink.kind === 'plan' ? 'proposal' : 'manifest');

const CNRM_GROUP = /\.cnrm\.cloud\.google\.com$/;

const Metadata = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional().nullable(),
  annotations: z.record(z.string(), z.string()).optional().nullable(),
  clusterName: z.string().optional(),
});
const KubeObject = z.looseObject({ apiVersion: z.string(), kind: z.string(), metadata: Metadata });
type KubeObject = z.infer<typeof KubeObject>;

const ResourceRef = z.looseObject({ name: z.string().optional(), external: z.string().optional() });
type ResourceRef = z.infer<typeof ResourceRef>;
const strings = z.array(z.string()).optional();
const ProtocolList = z.array(z.looseObject({ protocol: z.string(), ports: z.array(z.union([z.string(), z.number()])).optional() })).optional();

const Conditions = z.array(z.looseObject({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional(), lastTransitionTime: z.string().optional() })).optional();

/** A reference's target name: `name`, or the last segment of `external`. */
function refName(ref: ResourceRef | undefined): string | undefined {
  return ref?.name ?? lastSegment(ref?.external);
}

function group(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

type Handler = (object: KubeObject, location: Location, sink: ConfigSink) => void;

function specOf<T extends z.ZodType>(schema: T, object: KubeObject): z.infer<T> {
  const parsed = schema.safeParse((object as Record<string, unknown>)['spec'] ?? {});
  if (!parsed.success) throw new ConfigError(`spec: ${zodIssueText(parsed.error)}`);
  return parsed.data;
}

function reference(sink: ConfigSink, object: KubeObject, location: Location, field: ReferenceField, targetKind: string, ref: ResourceRef | undefined): string | undefined {
  const name = refName(ref);
  if (ref?.name && sink.kind === 'manifest') sink.config.references.push({ from: `${object.kind}/${object.metadata.name}`, field, targetKind, targetName: ref.name, location });
  return name;
}

const ComputeFirewallSpec = z.looseObject({
  allow: ProtocolList,
  deny: ProtocolList,
  direction: z.string().optional(),
  priority: z.number().int().optional(),
  sourceRanges: strings,
  destinationRanges: strings,
  sourceTags: strings,
  targetTags: strings,
  sourceServiceAccounts: z.array(ResourceRef).optional(),
  targetServiceAccounts: z.array(ResourceRef).optional(),
  disabled: z.boolean().optional(),
  enableLogging: z.boolean().optional(),
  logConfig: z.looseObject({ metadata: z.string().optional() }).optional(),
  description: z.string().optional(),
  networkRef: ResourceRef.optional(),
});

const accounts = (refs: ResourceRef[] | undefined): string[] | undefined => refs?.map((ref) => ref.external ?? ref.name ?? '').filter(Boolean);

const computeFirewall: Handler = (object, location, sink) => {
  const spec = specOf(ComputeFirewallSpec, object);
  const network = reference(sink, object, location, 'networkRef', 'ComputeNetwork', spec.networkRef);
  sink.config.firewalls.push(
    toFirewallRule(
      {
        name: object.metadata.name,
        network,
        direction: spec.direction,
        priority: spec.priority,
        allow: spec.allow as ProtocolInput[] | undefined,
        deny: spec.deny as ProtocolInput[] | undefined,
        sourceRanges: spec.sourceRanges,
        destinationRanges: spec.destinationRanges,
        sourceTags: spec.sourceTags,
        targetTags: spec.targetTags,
        sourceServiceAccounts: accounts(spec.sourceServiceAccounts),
        targetServiceAccounts: accounts(spec.targetServiceAccounts),
        disabled: spec.disabled,
        logging: spec.enableLogging ?? spec.logConfig !== undefined,
        description: spec.description,
      },
      manifestOrigin(sink),
      location,
    ),
  );
  sink.config.coverage.add('firewalls');
};

const ComputeRouteSpec = z.looseObject({
  destRange: z.string(),
  priority: z.number().int().optional(),
  networkRef: ResourceRef.optional(),
  nextHopGateway: z.string().optional(),
  nextHopIp: z.string().optional(),
  nextHopInstanceRef: ResourceRef.optional(),
  nextHopILBRef: ResourceRef.optional(),
  nextHopVPNTunnelRef: ResourceRef.optional(),
});

const computeRoute: Handler = (object, location, sink) => {
  const spec = specOf(ComputeRouteSpec, object);
  const nextHop = spec.nextHopGateway ?? spec.nextHopIp ?? refName(spec.nextHopInstanceRef ?? spec.nextHopILBRef ?? spec.nextHopVPNTunnelRef) ?? 'unknown';
  const route = {
    name: object.metadata.name,
    network: reference(sink, object, location, 'networkRef', 'ComputeNetwork', spec.networkRef),
    destRange: parseConfigCidr(spec.destRange, 'spec.destRange'),
    priority: spec.priority ?? 1000,
    viaInternetGateway: lastSegment(spec.nextHopGateway) === 'default-internet-gateway',
    nextHop,
    location,
  };
  sink.config.routes.push(route);
  sink.config.coverage.add('routes');
};

const ComputeNetworkSpec = z.looseObject({
  deleteDefaultRoutesOnCreate: z.boolean().optional(),
  autoCreateSubnetworks: z.boolean().optional(),
  networkFirewallPolicyEnforcementOrder: z.enum(['AFTER_CLASSIC_FIREWALL', 'BEFORE_CLASSIC_FIREWALL']).optional(),
});

const computeNetwork: Handler = (object, location, sink) => {
  const spec = specOf(ComputeNetworkSpec, object);
  sink.config.networks.push({
    name: object.metadata.name,
    impliesDefaultRoute: !(spec.deleteDefaultRoutesOnCreate ?? false),
    live: false,
    enforcementOrder: spec.networkFirewallPolicyEnforcementOrder ?? 'AFTER_CLASSIC_FIREWALL',
    location,
  });
  // A network package declares its firewall, routes, NAT and DNS: what it lacks is missing.
  for (const coverage of ['firewalls', 'routes', 'routers', 'dns'] as const) sink.config.coverage.add(coverage);
};

const ComputeSubnetworkSpec = z.looseObject({
  ipCidrRange: z.string(),
  region: z.string().optional(),
  privateIpGoogleAccess: z.boolean().optional(),
  networkRef: ResourceRef.optional(),
  secondaryIpRange: z.array(z.looseObject({ rangeName: z.string(), ipCidrRange: z.string() })).optional(),
});

const computeSubnetwork: Handler = (object, location, sink) => {
  const spec = specOf(ComputeSubnetworkSpec, object);
  sink.config.subnetworks.push({
    name: object.metadata.name,
    network: reference(sink, object, location, 'networkRef', 'ComputeNetwork', spec.networkRef),
    region: spec.region,
    ipCidrRange: parseConfigCidr(spec.ipCidrRange, 'spec.ipCidrRange'),
    secondaryRanges: (spec.secondaryIpRange ?? []).map((range, i) => ({ rangeName: range.rangeName, range: parseConfigCidr(range.ipCidrRange, `spec.secondaryIpRange[${i}].ipCidrRange`) })),
    privateIpGoogleAccess: spec.privateIpGoogleAccess ?? false,
    live: false,
    location,
  });
};

const computeRouter: Handler = (object, location, sink) => {
  const spec = specOf(z.looseObject({ region: z.string().optional(), networkRef: ResourceRef.optional() }), object);
  sink.config.routers.push({ name: object.metadata.name, network: reference(sink, object, location, 'networkRef', 'ComputeNetwork', spec.networkRef), region: spec.region, location });
  sink.config.coverage.add('routers');
};

const computeRouterNat: Handler = (object, location, sink) => {
  const spec = specOf(z.looseObject({ region: z.string().optional(), routerRef: ResourceRef.optional() }), object);
  sink.config.nats.push({ name: object.metadata.name, router: reference(sink, object, location, 'routerRef', 'ComputeRouter', spec.routerRef), region: spec.region, location });
  sink.config.coverage.add('routers');
};

const DnsZoneSpec = z.looseObject({
  dnsName: z.string(),
  visibility: z.string().optional(),
  privateVisibilityConfig: z.looseObject({ networks: z.array(z.looseObject({ networkRef: ResourceRef.optional() })).optional() }).optional(),
});

const dnsManagedZone: Handler = (object, location, sink) => {
  const spec = specOf(DnsZoneSpec, object);
  const networks = (spec.privateVisibilityConfig?.networks ?? [])
    .map((entry) => reference(sink, object, location, 'networkRef', 'ComputeNetwork', entry.networkRef))
    .filter((name): name is string => Boolean(name));
  sink.config.zones.push({ name: object.metadata.name, dnsName: spec.dnsName, visibility: spec.visibility === 'private' ? 'private' : 'public', networks, location });
  sink.config.coverage.add('dns');
};

const dnsRecordSet: Handler = (object, location, sink) => {
  const spec = specOf(z.looseObject({ name: z.string(), type: z.string(), rrdatas: z.array(z.string()).optional(), managedZoneRef: ResourceRef.optional() }), object);
  sink.config.records.push({ name: spec.name, type: spec.type.toUpperCase(), rrdatas: spec.rrdatas ?? [], zone: reference(sink, object, location, 'managedZoneRef', 'DNSManagedZone', spec.managedZoneRef), location });
  sink.config.coverage.add('dns');
};

const ContainerClusterSpec = z.looseObject({
  location: z.string().optional(),
  networkRef: ResourceRef.optional(),
  subnetworkRef: ResourceRef.optional(),
  privateClusterConfig: z.looseObject({ enablePrivateNodes: z.boolean().optional(), enablePrivateEndpoint: z.boolean().optional(), masterIpv4CidrBlock: z.string().optional() }).optional(),
  ipAllocationPolicy: z
    .looseObject({
      clusterSecondaryRangeName: z.string().optional(),
      servicesSecondaryRangeName: z.string().optional(),
      clusterIpv4CidrBlock: z.string().optional(),
      servicesIpv4CidrBlock: z.string().optional(),
    })
    .optional(),
  masterAuthorizedNetworksConfig: z.looseObject({ cidrBlocks: z.array(z.unknown()).optional() }).optional().nullable(),
  nodeConfig: z.looseObject({ tags: strings, serviceAccountRef: ResourceRef.optional() }).optional(),
});

/** Deep-merges a later document into an earlier one with the same name, as a kustomize patch would. */
function mergeObjects(base: unknown, patch: unknown): unknown {
  if (base === null || patch === null || typeof base !== 'object' || typeof patch !== 'object' || Array.isArray(base) || Array.isArray(patch)) return patch;
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) merged[key] = mergeObjects(merged[key], value);
  return merged;
}

const containerSpecs = new WeakMap<NetworkConfig, Map<string, unknown>>();

const containerCluster: Handler = (object, location, sink) => {
  const byName = containerSpecs.get(sink.config) ?? new Map<string, unknown>();
  containerSpecs.set(sink.config, byName);
  const raw = mergeObjects(byName.get(object.metadata.name), (object as Record<string, unknown>)['spec'] ?? {});
  byName.set(object.metadata.name, raw);
  const spec = specOf(ContainerClusterSpec, { ...object, spec: raw } as KubeObject);
  const model = emptyClusterModel();
  model.name = object.metadata.name;
  model.location = spec.location;
  // Config Connector in namespaced mode: the project is the annotation, else the namespace.
  model.project = object.metadata.annotations?.['cnrm.cloud.google.com/project-id'] ?? object.metadata.namespace;
  model.network = reference(sink, object, location, 'networkRef', 'ComputeNetwork', spec.networkRef);
  // A Shared VPC cluster refers to the host project's network and subnet by their full path.
  model.networkProject = resourcePath(spec.networkRef?.external).project ?? model.project;
  model.subnetwork = reference(sink, object, location, 'subnetworkRef', 'ComputeSubnetwork', spec.subnetworkRef);
  model.subnetworkRegion = resourcePath(spec.subnetworkRef?.external).region ?? regionOfLocation(spec.location);
  model.privateNodes = spec.privateClusterConfig?.enablePrivateNodes ?? false;
  model.privateEndpoint = spec.privateClusterConfig?.enablePrivateEndpoint ?? false;
  model.authorizedNetworks = spec.masterAuthorizedNetworksConfig !== undefined && spec.masterAuthorizedNetworksConfig !== null;
  model.nodeTags = spec.nodeConfig?.tags ?? [];
  const serviceAccount = spec.nodeConfig?.serviceAccountRef?.external ?? spec.nodeConfig?.serviceAccountRef?.name;
  if (serviceAccount) model.nodeServiceAccounts = [serviceAccount];
  if (spec.privateClusterConfig?.masterIpv4CidrBlock) {
    model.masterCidr = parseConfigCidr(spec.privateClusterConfig.masterIpv4CidrBlock, 'spec.privateClusterConfig.masterIpv4CidrBlock');
    model.origins.master = 'manifest';
  }
  const policy = spec.ipAllocationPolicy;
  if (policy?.clusterIpv4CidrBlock) model.podCidrs = [parseConfigCidr(policy.clusterIpv4CidrBlock, 'spec.ipAllocationPolicy.clusterIpv4CidrBlock')];
  if (policy?.servicesIpv4CidrBlock) model.serviceCidrs = [parseConfigCidr(policy.servicesIpv4CidrBlock, 'spec.ipAllocationPolicy.servicesIpv4CidrBlock')];
  const clusters = sink.config.clusters.filter((cluster) => cluster.model.name !== model.name);
  clusters.push({ model, podRangeName: policy?.clusterSecondaryRangeName, serviceRangeName: policy?.servicesSecondaryRangeName, location });
  sink.config.clusters = clusters;
  sink.config.coverage.add('clusters');
};

const WebhookConfiguration = z.looseObject({
  webhooks: z
    .array(
      z.looseObject({
        name: z.string(),
        clientConfig: z.looseObject({
          url: z.string().optional(),
          service: z.looseObject({ name: z.string(), namespace: z.string(), port: z.number().int().min(1).max(65535).optional() }).optional(),
        }),
      }),
    )
    .optional()
    .nullable(),
});

const webhookConfiguration: Handler = (object, location, sink) => {
  const parsed = WebhookConfiguration.safeParse(object);
  if (!parsed.success) throw new ConfigError(zodIssueText(parsed.error));
  for (const webhook of parsed.data.webhooks ?? []) {
    const { service, url } = webhook.clientConfig;
    sink.config.webhooks.push({
      configKind: object.kind as 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration',
      configName: object.metadata.name,
      name: webhook.name,
      ...(service ? { service: { namespace: service.namespace, name: service.name, port: service.port ?? 443 } } : {}),
      ...(url ? { url } : {}),
      location,
    });
  }
  sink.config.coverage.add('webhooks');
};

const ServiceSpecSchema = z.looseObject({
  type: z.string().optional(),
  selector: z.record(z.string(), z.string()).optional().nullable(),
  externalTrafficPolicy: z.string().optional(),
  healthCheckNodePort: z.number().int().optional(),
  ports: z
    .array(
      z.looseObject({
        name: z.string().optional(),
        port: z.number().int(),
        targetPort: z.union([z.number().int(), z.string()]).optional(),
        nodePort: z.number().int().optional(),
        protocol: z.string().optional(),
      }),
    )
    .optional(),
});

/** `cloud.google.com/neg: '{"ingress": true}'` puts a Service behind container-native load balancing. */
function negIngress(annotations: Record<string, string> | null | undefined): boolean {
  const value = annotations?.['cloud.google.com/neg'];
  if (!value) return false;
  try {
    return (JSON.parse(value) as { ingress?: unknown }).ingress === true;
  } catch {
    return false;
  }
}

const kubernetesService: Handler = (object, location, sink) => {
  const spec = specOf(ServiceSpecSchema, object);
  sink.config.services.push({
    namespace: object.metadata.namespace ?? 'default',
    name: object.metadata.name,
    type: spec.type ?? 'ClusterIP',
    selector: spec.selector ?? {},
    ports: (spec.ports ?? []).map((port) => ({ name: port.name, port: port.port, targetPort: port.targetPort ?? port.port, protocol: port.protocol ?? 'TCP', ...(port.nodePort ? { nodePort: port.nodePort } : {}) })),
    ...(spec.externalTrafficPolicy ? { externalTrafficPolicy: spec.externalTrafficPolicy } : {}),
    ...(spec.healthCheckNodePort ? { healthCheckNodePort: spec.healthCheckNodePort } : {}),
    negIngress: negIngress(object.metadata.annotations),
    location,
  });
};

const IngressBackend = z.looseObject({ service: z.looseObject({ name: z.string(), port: z.looseObject({ number: z.number().int().optional(), name: z.string().optional() }) }).optional() });
const IngressSpecSchema = z.looseObject({
  defaultBackend: IngressBackend.optional(),
  rules: z.array(z.looseObject({ http: z.looseObject({ paths: z.array(z.looseObject({ backend: IngressBackend })) }).optional() })).optional(),
});

/** GKE Ingress (the default class on GKE): each backend Service is health-checked by the load balancer. */
const kubernetesIngress: Handler = (object, location, sink) => {
  const spec = specOf(IngressSpecSchema, object);
  const backends = [spec.defaultBackend, ...(spec.rules ?? []).flatMap((rule) => rule.http?.paths.map((path) => path.backend) ?? [])]
    .flatMap((backend) => (backend?.service ? [{ service: backend.service.name, port: backend.service.port.number ?? backend.service.port.name ?? 80 }] : []));
  sink.config.ingresses.push({ namespace: object.metadata.namespace ?? 'default', name: object.metadata.name, backends, location });
};

const Container = z.looseObject({
  name: z.string(),
  image: z.string().optional(),
  ports: z.array(z.looseObject({ name: z.string().optional(), containerPort: z.number().int(), protocol: z.string().optional() })).optional().nullable(),
});
const PodSpec = z.looseObject({ containers: z.array(Container), initContainers: z.array(Container).optional().nullable() });
const WorkloadSpecSchema = z.looseObject({ template: z.looseObject({ metadata: z.looseObject({ labels: z.record(z.string(), z.string()).optional().nullable() }).optional(), spec: PodSpec }) });

function addWorkload(object: KubeObject, location: Location, sink: ConfigSink, podLabels: Record<string, string>, podSpec: z.infer<typeof PodSpec>): void {
  sink.config.workloads.push({
    kind: object.kind,
    namespace: object.metadata.namespace ?? 'default',
    name: object.metadata.name,
    podLabels,
    containers: [...podSpec.containers, ...(podSpec.initContainers ?? [])].map((container) => ({
      name: container.name,
      image: container.image,
      ports: (container.ports ?? []).map((port) => ({ name: port.name, containerPort: port.containerPort, protocol: port.protocol ?? 'TCP' })),
    })),
    location,
  });
}

const workload: Handler = (object, location, sink) => {
  const spec = specOf(WorkloadSpecSchema, object);
  addWorkload(object, location, sink, spec.template.metadata?.labels ?? {}, spec.template.spec);
};

const pod: Handler = (object, location, sink) => {
  addWorkload(object, location, sink, object.metadata.labels ?? {}, specOf(PodSpec, object));
};

const PolicyRuleSpec = z.looseObject({
  action: z.string(),
  direction: z.string().optional(),
  priority: z.number().int(),
  disabled: z.boolean().optional(),
  enableLogging: z.boolean().optional(),
  description: z.string().optional(),
  firewallPolicyRef: ResourceRef,
  match: z
    .looseObject({
      srcIPRanges: strings,
      destIPRanges: strings,
      layer4Configs: z.array(z.looseObject({ ipProtocol: z.string(), ports: strings })).optional(),
      srcSecureTags: z.array(z.looseObject({ name: z.string() })).optional(),
      srcAddressGroups: strings,
      srcFqdns: strings,
      srcRegionCodes: strings,
      srcThreatIntelligences: strings,
      destAddressGroups: strings,
      destFqdns: strings,
      destRegionCodes: strings,
      destThreatIntelligences: strings,
    })
    .optional(),
  targetResources: z.array(ResourceRef).optional(),
  targetServiceAccounts: z.array(ResourceRef).optional(),
  targetSecureTags: z.array(z.looseObject({ name: z.string() })).optional(),
});

/** A policy by the name its rules and associations refer to it with: the Kubernetes name, or the last segment of `external`. */
function policyRef(kind: PolicyKind, ref: ResourceRef | undefined): PolicyRef {
  const name = refName(ref);
  if (!name) throw new ConfigError('spec.firewallPolicyRef: needs name or external');
  return { name, kind };
}

/** ComputeFirewallPolicyRule (hierarchical) and ComputeNetworkFirewallPolicyRule (global network). */
const policyRuleHandler =
  (kind: PolicyKind): Handler =>
  (object, location, sink) => {
    const spec = specOf(PolicyRuleSpec, object);
    const match = spec.match ?? {};
    sink.config.firewalls.push(
      toPolicyRule(
        {
          priority: spec.priority,
          action: spec.action,
          direction: spec.direction,
          disabled: spec.disabled,
          enableLogging: spec.enableLogging,
          description: spec.description,
          layer4Configs: match.layer4Configs,
          srcIpRanges: match.srcIPRanges,
          destIpRanges: match.destIPRanges,
          srcSecureTags: match.srcSecureTags?.map((tag) => tag.name),
          targetSecureTags: spec.targetSecureTags?.map((tag) => tag.name),
          targetServiceAccounts: accounts(spec.targetServiceAccounts),
          targetNetworks: (spec.targetResources ?? []).map((ref) => refName(ref)).filter((name): name is string => Boolean(name)),
          opaqueSources: { srcAddressGroups: match.srcAddressGroups, srcFqdns: match.srcFqdns, srcRegionCodes: match.srcRegionCodes, srcThreatIntelligences: match.srcThreatIntelligences },
          opaqueDestinations: { destAddressGroups: match.destAddressGroups, destFqdns: match.destFqdns, destRegionCodes: match.destRegionCodes, destThreatIntelligences: match.destThreatIntelligences },
        },
        policyRef(kind, spec.firewallPolicyRef),
        manifestOrigin(sink),
        location,
      ),
    );
    sink.config.coverage.add('firewall-policies');
  };

const PolicySpec = z.looseObject({ shortName: z.string().optional(), organizationRef: ResourceRef.optional(), folderRef: ResourceRef.optional() });

const policyHandler =
  (kind: PolicyKind): Handler =>
  (object, location, sink) => {
    const spec = specOf(PolicySpec, object);
    const ref: PolicyRef = { name: object.metadata.name, kind };
    if (spec.shortName) ref.shortName = spec.shortName;
    const parent = spec.folderRef?.external ?? spec.organizationRef?.external;
    if (parent) ref.parent = parent;
    sink.config.firewallPolicies.push({ ref, location, attachments: [] });
    sink.config.coverage.add('firewall-policies');
  };

const AssociationSpec = z.looseObject({ attachmentTargetRef: ResourceRef, firewallPolicyRef: ResourceRef });

/** An association attaches a policy declared elsewhere among the inputs (its attachments start empty). */
const associationHandler =
  (kind: PolicyKind): Handler =>
  (object, location, sink) => {
    const spec = specOf(AssociationSpec, object);
    const target = kind === 'hierarchical' ? spec.attachmentTargetRef.external : refName(spec.attachmentTargetRef);
    if (!target) throw new ConfigError('spec.attachmentTargetRef: needs name or external');
    sink.config.policyAttachments.push({ policy: policyRef(kind, spec.firewallPolicyRef), target, location });
    sink.config.coverage.add('firewall-policies');
  };

const HANDLERS: Record<string, Handler> = {
  'compute.cnrm.cloud.google.com/ComputeFirewallPolicy': policyHandler('hierarchical'),
  'compute.cnrm.cloud.google.com/ComputeFirewallPolicyRule': policyRuleHandler('hierarchical'),
  'compute.cnrm.cloud.google.com/ComputeFirewallPolicyAssociation': associationHandler('hierarchical'),
  'compute.cnrm.cloud.google.com/ComputeNetworkFirewallPolicy': policyHandler('network'),
  'compute.cnrm.cloud.google.com/ComputeNetworkFirewallPolicyRule': policyRuleHandler('network'),
  'compute.cnrm.cloud.google.com/ComputeNetworkFirewallPolicyAssociation': associationHandler('network'),
  'networking.k8s.io/Ingress': kubernetesIngress,
  'compute.cnrm.cloud.google.com/ComputeFirewall': computeFirewall,
  'compute.cnrm.cloud.google.com/ComputeRoute': computeRoute,
  'compute.cnrm.cloud.google.com/ComputeNetwork': computeNetwork,
  'compute.cnrm.cloud.google.com/ComputeSubnetwork': computeSubnetwork,
  'compute.cnrm.cloud.google.com/ComputeRouter': computeRouter,
  'compute.cnrm.cloud.google.com/ComputeRouterNAT': computeRouterNat,
  'dns.cnrm.cloud.google.com/DNSManagedZone': dnsManagedZone,
  'dns.cnrm.cloud.google.com/DNSRecordSet': dnsRecordSet,
  'container.cnrm.cloud.google.com/ContainerCluster': containerCluster,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': webhookConfiguration,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': webhookConfiguration,
  '/Service': kubernetesService,
  '/Pod': pod,
  'apps/Deployment': workload,
  'apps/StatefulSet': workload,
  'apps/DaemonSet': workload,
};

function recordCnrmStatus(object: KubeObject, location: Location, sink: ConfigSink): void {
  const status = (object as Record<string, unknown>)['status'] as { conditions?: unknown } | undefined;
  const conditions = Conditions.safeParse(status?.conditions);
  if (!status || !conditions.success || !conditions.data) return;
  const ready = conditions.data.find((condition) => condition.type === 'Ready');
  sink.config.cnrmStatuses.push({
    kind: object.kind,
    name: object.metadata.name,
    namespace: object.metadata.namespace,
    ready: ready?.status === 'True',
    reason: ready?.reason ?? (ready ? undefined : 'NoReadyCondition'),
    message: ready?.message,
    since: ready?.lastTransitionTime,
    labels: object.metadata.labels ?? undefined,
    location,
  });
  sink.config.coverage.add('cnrm-status');
}

export type KubeResult = 'used' | 'ignored' | 'rejected';

/**
 * Adds one Kubernetes or Config Connector object (from a manifest or a kubectl List) to the
 * config. Kinds are told apart by API group as well as kind: a serviceusage.cnrm Service is not a
 * Kubernetes Service.
 */
export function addKubeObject(value: unknown, location: Location, sink: ConfigSink): KubeResult {
  const parsed = KubeObject.safeParse(value);
  if (!parsed.success) {
    sink.reject(location, `not a Kubernetes resource: ${zodIssueText(parsed.error)}`);
    return 'rejected';
  }
  const object = parsed.data;
  const apiGroup = group(object.apiVersion);
  const described = `${object.kind}/${object.metadata.name}`;
  const handler = HANDLERS[`${apiGroup}/${object.kind}`];
  const isCnrm = CNRM_GROUP.test(apiGroup);
  try {
    handler?.(object, location, sink);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    sink.reject(location, `${described}: ${error.message}`);
    return 'rejected';
  }
  if (isCnrm) {
    const names = sink.config.defined.get(object.kind) ?? new Set<string>();
    names.add(object.metadata.name);
    sink.config.defined.set(object.kind, names);
    recordCnrmStatus(object, location, sink);
  }
  if (isCnrm || object.kind === 'Kustomization') sink.config.placeholders.push(...findPlaceholders(described, value, location));
  return handler || isCnrm ? 'used' : 'ignored';
}
