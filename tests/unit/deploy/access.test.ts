import { mayApprove, mayRequest } from '../../../src/deploy/access.js';
import type { UserGroupDirectory } from '../../../src/deploy/ports/index.js';

const directory = (groups: Record<string, string[]>): UserGroupDirectory & { calls: string[] } => {
  const calls: string[] = [];
  return {
    calls,
    membersOf: (id) => {
      calls.push(id);
      return Promise.resolve(groups[id] ?? []);
    },
  };
};

describe('access', () => {
  const groups = directory({ SDEPLOY: ['U_IN_GROUP'], SAPPROVE: ['U_LEAD'] });

  it('lets anyone request when no deployer is listed', async () => {
    await expect(mayRequest({ deployers: [], approvers: [], selfApproval: false }, 'U_ANY', groups)).resolves.toEqual({
      allowed: true,
    });
  });

  it('lets listed users and members of listed groups request, and names who can otherwise', async () => {
    const rules = { deployers: ['U_DEV', 'SDEPLOY'], approvers: [], selfApproval: false };
    await expect(mayRequest(rules, 'U_DEV', groups)).resolves.toEqual({ allowed: true });
    await expect(mayRequest(rules, 'U_IN_GROUP', groups)).resolves.toEqual({ allowed: true });
    await expect(mayRequest(rules, 'U_OTHER', groups)).resolves.toEqual({
      allowed: false,
      reason: 'not_listed',
      whoCan: ['U_DEV', 'SDEPLOY'],
    });
  });

  it('refuses self-approval unless the runbook allows it', async () => {
    const rules = { deployers: [], approvers: ['U_LEAD'], selfApproval: false };
    await expect(mayApprove(rules, 'U_LEAD', 'U_LEAD', groups)).resolves.toMatchObject({
      allowed: false,
      reason: 'own_request',
    });
    await expect(mayApprove({ ...rules, selfApproval: true }, 'U_LEAD', 'U_LEAD', groups)).resolves.toEqual({
      allowed: true,
    });
  });

  it('lets approvers (users or groups) approve, and nobody else', async () => {
    const rules = { deployers: [], approvers: ['SAPPROVE'], selfApproval: false };
    await expect(mayApprove(rules, 'U_LEAD', 'U_DEV', groups)).resolves.toEqual({ allowed: true });
    await expect(mayApprove(rules, 'U_DEV2', 'U_DEV', groups)).resolves.toEqual({
      allowed: false,
      reason: 'not_listed',
      whoCan: ['SAPPROVE'],
    });
  });

  it('asks the directory only about user groups', async () => {
    const d = directory({});
    await mayRequest({ deployers: ['U1', 'W2', 'S3'], approvers: [], selfApproval: false }, 'U9', d);
    expect(d.calls).toEqual(['S3']);
  });
});
