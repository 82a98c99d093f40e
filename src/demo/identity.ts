/**
 * Builders for the CloudTrail `userIdentity` element, one per identity type the scenario uses.
 * Shapes follow the CloudTrail userIdentity reference (AWS CloudTrail User Guide).
 */
import { ACCOUNT_ID, OIDC_PROVIDER, roleArn, sessionArn, userArn } from './environment.ts';

export type UserIdentity = Record<string, unknown>;

/** The role fields an assumed-role identity needs. */
export interface RoleRef {
  name: string;
  roleId: string;
  path?: string;
}

/** An IAM user signing with a long-term access key (`AKIA…`). */
export function iamUserWithKey(
  name: string,
  principalId: string,
  accessKeyId: string,
): UserIdentity {
  return {
    type: 'IAMUser',
    principalId,
    arn: userArn(name),
    accountId: ACCOUNT_ID,
    accessKeyId,
    userName: name,
  };
}

/** An IAM user in a console session, which signs with temporary `ASIA…` credentials. */
export function iamUserConsole(
  name: string,
  principalId: string,
  sessionKey: string,
  created: string,
  mfa: boolean,
): UserIdentity {
  return {
    ...iamUserWithKey(name, principalId, sessionKey),
    sessionContext: {
      sessionIssuer: {},
      webIdFederationData: {},
      attributes: { creationDate: created, mfaAuthenticated: String(mfa) },
    },
  };
}

/** An IAM user before authentication completes, as in a `ConsoleLogin` record. */
export function iamUserSignIn(name: string, principalId: string): UserIdentity {
  return {
    type: 'IAMUser',
    principalId,
    arn: userArn(name),
    accountId: ACCOUNT_ID,
    userName: name,
  };
}

/** A role session; `webIdentity` adds the OIDC provider for sessions from AssumeRoleWithWebIdentity. */
export function assumedRole(
  role: RoleRef,
  session: string,
  accessKeyId: string,
  created: string,
  extra: { webIdentity?: boolean; invokedBy?: string } = {},
): UserIdentity {
  const identity: UserIdentity = {
    type: 'AssumedRole',
    principalId: `${role.roleId}:${session}`,
    arn: sessionArn(role.name, session),
    accountId: ACCOUNT_ID,
    accessKeyId,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: role.roleId,
        arn: roleArn(role.name, role.path),
        accountId: ACCOUNT_ID,
        userName: role.name,
      },
      webIdFederationData: extra.webIdentity
        ? {
            federatedProvider: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/${OIDC_PROVIDER}`,
            attributes: {},
          }
        : {},
      attributes: { creationDate: created, mfaAuthenticated: 'false' },
    },
  };
  if (extra.invokedBy !== undefined) identity.invokedBy = extra.invokedBy;
  return identity;
}

/** An AWS service acting on its own behalf, such as EC2 fetching instance-profile credentials. */
export function awsService(service: string): UserIdentity {
  return { type: 'AWSService', invokedBy: service };
}

/** The caller of AssumeRoleWithWebIdentity: the OIDC token's subject. */
export function webIdentityUser(subject: string): UserIdentity {
  return {
    type: 'WebIdentityUser',
    principalId: `${OIDC_PROVIDER}:sts.amazonaws.com:${subject}`,
    userName: subject,
    identityProvider: OIDC_PROVIDER,
  };
}
