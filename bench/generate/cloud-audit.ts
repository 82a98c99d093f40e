/**
 * Generators of cloud and SaaS audit logs. Kubernetes audit events are JSON lines, Google Cloud
 * entries are `gcloud logging read --format=json` output, and Azure Activity Log records are a
 * diagnostic-settings export. Microsoft 365 unified audit records are Management Activity API
 * content, and Okta System Log and GitHub organization audit log events are REST API pages.
 */
import {
  Clock,
  type FormatGenerator,
  iso,
  jsonList,
  lines,
  publicAddresses,
  Random,
  skewedPick,
  USER_AGENTS,
  userNames,
} from './common.ts';

/** Draws shared by the audit generators: people, their addresses and a clock. */
function cast(seed: number, meanGapMs: number) {
  const random = new Random(seed);
  return {
    random,
    clock: new Clock(random, meanGapMs),
    users: userNames(random, 60),
    addresses: publicAddresses(random, 400),
  };
}

const K8S_CALLS: [string, string, string | undefined][] = [
  ['get', 'pods', undefined],
  ['list', 'pods', undefined],
  ['watch', 'configmaps', undefined],
  ['get', 'secrets', undefined],
  ['create', 'pods', 'exec'],
  ['patch', 'deployments', undefined],
  ['update', 'leases', undefined],
  ['delete', 'pods', undefined],
];

function* k8sEvents(count: number, seed: number): Generator<string> {
  const { random, clock, users, addresses } = cast(seed, 50);
  const namespaces = ['default', 'payments', 'storefront', 'kube-system', 'monitoring'];
  for (let i = 0; i < count; i++) {
    const ms = clock.tick();
    const [verb, resource, subresource] = skewedPick(random, K8S_CALLS);
    const namespace = skewedPick(random, namespaces);
    const name = `${resource.slice(0, -1)}-${random.hex(5)}`;
    const service = random.chance(0.6);
    const username = service
      ? `system:serviceaccount:${namespace}:${random.pick(['default', 'controller', 'argocd'])}`
      : `${skewedPick(random, users)}@acme.example`;
    const code = random.chance(0.95) ? 200 : random.pick([403, 404, 409]);
    const path = `/api/v1/namespaces/${namespace}/${resource}${verb === 'list' ? '' : `/${name}`}`;
    yield JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: random.uuid(),
      stage: 'ResponseComplete',
      requestURI: subresource ? `${path}/${subresource}?command=sh&stdin=true` : path,
      verb,
      user: {
        username,
        groups: service
          ? ['system:serviceaccounts', 'system:authenticated']
          : ['system:authenticated'],
      },
      sourceIPs: [
        service
          ? `10.20.${random.int(0, 15)}.${random.int(4, 250)}`
          : skewedPick(random, addresses),
      ],
      userAgent: service
        ? 'kube-controller-manager/v1.29.4 (linux/amd64)'
        : 'kubectl/v1.29.4 (linux/amd64) kubernetes/55019c8',
      objectRef: {
        resource,
        namespace,
        name,
        apiVersion: 'v1',
        ...(subresource ? { subresource } : {}),
      },
      responseStatus: { metadata: {}, code },
      requestReceivedTimestamp: iso(ms).replace('Z', '123Z'),
      stageTimestamp: iso(ms + random.int(1, 40)).replace('Z', '456Z'),
      annotations: {
        'authorization.k8s.io/decision': code === 403 ? 'forbid' : 'allow',
        'authorization.k8s.io/reason': '',
      },
    });
  }
}

export const k8sAuditGenerator: FormatGenerator = {
  format: 'k8s.audit',
  fileName: 'kube-apiserver-audit.log',
  pieces: (count, seed) => lines(k8sEvents(count, seed)),
};

const GCP_METHODS: [string, string, string][] = [
  [
    'compute.googleapis.com',
    'v1.compute.instances.list',
    'projects/shop-prod/zones/us-central1-a/instances',
  ],
  [
    'storage.googleapis.com',
    'storage.objects.get',
    'projects/_/buckets/shop-exports/objects/report.csv',
  ],
  [
    'iam.googleapis.com',
    'google.iam.admin.v1.CreateServiceAccountKey',
    'projects/shop-prod/serviceAccounts/app@shop-prod.iam.gserviceaccount.com',
  ],
  ['cloudresourcemanager.googleapis.com', 'GetIamPolicy', 'projects/shop-prod'],
  [
    'compute.googleapis.com',
    'v1.compute.instances.insert',
    'projects/shop-prod/zones/us-central1-a/instances/web-7',
  ],
  [
    'secretmanager.googleapis.com',
    'google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion',
    'projects/shop-prod/secrets/db/versions/3',
  ],
];

function* gcpEntries(count: number, seed: number): Generator<string> {
  const { random, clock, users, addresses } = cast(seed, 80);
  for (let i = 0; i < count; i++) {
    const ms = clock.tick();
    const [service, method, resource] = skewedPick(random, GCP_METHODS);
    const denied = random.chance(0.03);
    const reads = method.includes('.get') || method.includes('list') || method.startsWith('Get');
    const kind = reads ? 'data_access' : 'activity';
    yield JSON.stringify({
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        status: denied ? { code: 7, message: 'PERMISSION_DENIED' } : {},
        authenticationInfo: { principalEmail: `${skewedPick(random, users)}@acme.example` },
        requestMetadata: {
          callerIp: skewedPick(random, addresses),
          callerSuppliedUserAgent: skewedPick(random, USER_AGENTS),
        },
        serviceName: service,
        methodName: method,
        authorizationInfo: [
          { resource, permission: method.split('.').slice(-2).join('.'), granted: !denied },
        ],
        resourceName: resource,
      },
      insertId: random.hex(12),
      resource: {
        type: 'gce_instance',
        labels: { project_id: 'shop-prod', zone: 'us-central1-a' },
      },
      timestamp: iso(ms),
      severity: denied ? 'ERROR' : 'NOTICE',
      logName: `projects/shop-prod/logs/cloudaudit.googleapis.com%2F${kind}`,
      receiveTimestamp: iso(ms + random.int(50, 900)),
    });
  }
}

export const gcpAuditGenerator: FormatGenerator = {
  format: 'gcp.audit',
  fileName: 'gcloud-logging-read.json',
  pieces: (count, seed) => jsonList('[\n', gcpEntries(count, seed), '\n]\n'),
};

const AZURE_OPERATIONS = [
  'Microsoft.Compute/virtualMachines/write',
  'Microsoft.Compute/virtualMachines/start/action',
  'Microsoft.Storage/storageAccounts/listKeys/action',
  'Microsoft.KeyVault/vaults/secrets/read',
  'Microsoft.Network/networkSecurityGroups/securityRules/write',
  'Microsoft.Authorization/roleAssignments/write',
  'Microsoft.Resources/deployments/write',
];

function* azureActivityRecords(count: number, seed: number): Generator<string> {
  const { random, clock, users, addresses } = cast(seed, 120);
  const subscription = random.uuid().toUpperCase();
  for (let i = 0; i < count; i++) {
    const ms = clock.tick();
    const operation = skewedPick(random, AZURE_OPERATIONS);
    const provider = operation.split('/').slice(0, 2).join('/').toUpperCase();
    const failed = random.chance(0.04);
    yield JSON.stringify({
      time: iso(ms).replace('Z', '0000Z'),
      resourceId: `/SUBSCRIPTIONS/${subscription}/RESOURCEGROUPS/PROD/PROVIDERS/${provider}/RES-${random.int(1, 40)}`,
      operationName: operation.toUpperCase(),
      category: 'Administrative',
      resultType: failed ? 'Failure' : 'Success',
      resultSignature: failed ? 'Forbidden.403' : 'Succeeded.200',
      durationMs: String(random.int(20, 9000)),
      callerIpAddress: skewedPick(random, addresses),
      correlationId: random.uuid(),
      identity: {
        claims: {
          name: `${skewedPick(random, users)}@acme.example`,
          'http://schemas.microsoft.com/identity/claims/objectidentifier': random.uuid(),
        },
      },
      level: failed ? 'Error' : 'Information',
      location: 'global',
      properties: { statusCode: failed ? 'Forbidden' : 'OK', eventCategory: 'Administrative' },
    });
  }
}

export const azureMonitorGenerator: FormatGenerator = {
  format: 'azure.monitor',
  fileName: 'PT1H.json',
  pieces: (count, seed) => jsonList('{"records":[', azureActivityRecords(count, seed), ']}\n'),
};

const M365_OPERATIONS: [string, string, number][] = [
  ['Exchange', 'MailItemsAccessed', 50],
  ['Exchange', 'Send', 2],
  ['SharePoint', 'FileAccessed', 6],
  ['SharePoint', 'FileDownloaded', 6],
  ['OneDrive', 'FileUploaded', 6],
  ['AzureActiveDirectory', 'UserLoggedIn', 15],
  ['AzureActiveDirectory', 'UserLoginFailed', 15],
  ['Exchange', 'New-InboxRule', 1],
];

function* m365Records(count: number, seed: number): Generator<string> {
  const { random, clock, users, addresses } = cast(seed, 150);
  const tenant = random.uuid();
  for (let i = 0; i < count; i++) {
    const [workload, operation, recordType] = skewedPick(random, M365_OPERATIONS);
    const user = `${skewedPick(random, users)}@acme.example`;
    const record: Record<string, unknown> = {
      CreationTime: iso(clock.tick()).slice(0, 19),
      Id: random.uuid(),
      Operation: operation,
      OrganizationId: tenant,
      RecordType: recordType,
      ResultStatus: operation === 'UserLoginFailed' ? 'Failed' : 'Succeeded',
      UserKey: random.hex(16).toUpperCase(),
      UserType: 0,
      Version: 1,
      Workload: workload,
      ClientIP: skewedPick(random, addresses),
      UserId: user,
    };
    if (workload === 'SharePoint' || workload === 'OneDrive') {
      record.ObjectId = `https://acme.sharepoint.com/sites/finance/Shared Documents/${random.hex(8)}.xlsx`;
      record.UserAgent = skewedPick(random, USER_AGENTS);
    }
    if (workload === 'AzureActiveDirectory') {
      record.ObjectId = '00000003-0000-0ff1-ce00-000000000000';
      record.ExtendedProperties = [{ Name: 'UserAgent', Value: skewedPick(random, USER_AGENTS) }];
    }
    yield JSON.stringify(record);
  }
}

export const m365AuditGenerator: FormatGenerator = {
  format: 'm365.audit',
  fileName: 'audit-general.json',
  pieces: (count, seed) => jsonList('[', m365Records(count, seed), ']\n'),
};

const OKTA_EVENTS: [string, string][] = [
  ['user.session.start', 'User login to Okta'],
  ['user.authentication.sso', 'User single sign on to app'],
  ['user.authentication.auth_via_mfa', 'Authentication of user via MFA'],
  ['policy.evaluate_sign_on', 'Evaluation of sign-on policy'],
  ['user.session.end', 'User logout from Okta'],
  ['user.account.update_password', 'User update password for Okta'],
];

function* oktaEvents(count: number, seed: number): Generator<string> {
  const { random, clock, users, addresses } = cast(seed, 100);
  for (let i = 0; i < count; i++) {
    const [eventType, displayMessage] = skewedPick(random, OKTA_EVENTS);
    const user = skewedPick(random, users);
    const ip = skewedPick(random, addresses);
    const failed = random.chance(0.05);
    yield JSON.stringify({
      actor: {
        id: `00u${random.hex(17)}`,
        type: 'User',
        alternateId: `${user}@acme.example`,
        displayName: user,
      },
      client: {
        userAgent: {
          rawUserAgent: skewedPick(random, USER_AGENTS),
          os: 'Windows 10',
          browser: 'CHROME',
        },
        zone: 'null',
        device: 'Computer',
        ipAddress: ip,
        geographicalContext: { city: 'Berlin', state: 'Land Berlin', country: 'Germany' },
      },
      authenticationContext: {
        externalSessionId: random.chars(25, 'abcdefghijklmnopqrstuvwxyz0123456789'),
      },
      displayMessage,
      eventType,
      outcome: failed
        ? { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' }
        : { result: 'SUCCESS' },
      published: iso(clock.tick()),
      securityContext: {},
      severity: failed ? 'WARN' : 'INFO',
      request: { ipChain: [{ ip, version: 'V4' }] },
      target: [
        {
          id: `0oa${random.hex(17)}`,
          type: 'AppInstance',
          alternateId: 'Salesforce',
          displayName: 'Salesforce',
        },
      ],
      transaction: { type: 'WEB', id: random.hex(24) },
      uuid: random.uuid(),
      version: '0',
      legacyEventType: 'core.user_auth.login_success',
    });
  }
}

export const oktaGenerator: FormatGenerator = {
  format: 'okta.system',
  fileName: 'okta-system-log.json',
  pieces: (count, seed) => jsonList('[', oktaEvents(count, seed), ']\n'),
};

const GITHUB_ACTIONS = [
  'git.clone',
  'git.fetch',
  'git.push',
  'repo.download_zip',
  'org.add_member',
  'repo.access',
  'workflows.completed_workflow_run',
  'personal_access_token.access_granted',
];

function* githubEvents(count: number, seed: number): Generator<string> {
  const { random, clock, users, addresses } = cast(seed, 200);
  const repos = ['storefront', 'payments', 'infra', 'docs', 'mobile-app'];
  for (let i = 0; i < count; i++) {
    const ms = clock.tick();
    const actor = skewedPick(random, users).replace('.', '-');
    yield JSON.stringify({
      '@timestamp': ms,
      _document_id: random.chars(
        22,
        'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
      ),
      action: skewedPick(random, GITHUB_ACTIONS),
      actor,
      actor_ip: skewedPick(random, addresses),
      actor_location: { country_code: 'DE' },
      created_at: ms,
      org: 'acme',
      repo: `acme/${skewedPick(random, repos)}`,
      repository_public: false,
      transport_protocol_name: 'http',
      user_agent: skewedPick(random, USER_AGENTS),
    });
  }
}

export const githubAuditGenerator: FormatGenerator = {
  format: 'github.audit',
  fileName: 'github-audit-log.json',
  pieces: (count, seed) => jsonList('[', githubEvents(count, seed), ']\n'),
};
