// Conformance: Clerk's official JS SDK (@clerk/backend) and clerkmock's billing: every billing method the SDK has
// (plans, a user's and an organization's subscription, free-trial extension, cancel), and the session token's plan
// and feature claims read by auth().has({ plan }) / has({ feature }) after authenticateRequest.
//
// Driven by tests/test_node_sdk.py.  Plans and subscriptions are set up through the control plane, as a test
// would (the Backend API cannot create them).  Slugs carry a per-run tag: the server is shared.

import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { createClerkClient } from '@clerk/backend';

const apiUrl = process.env.CLERK_API_URL;
const secretKey = process.env.CLERK_SECRET_KEY;
const jwtKey = process.env.CLERK_JWT_KEY;
const publishableKey = process.env.CLERK_PUBLISHABLE_KEY;
if (!apiUrl || !secretKey || !jwtKey || !publishableKey) {
  throw new Error('CLERK_API_URL, CLERK_SECRET_KEY, CLERK_JWT_KEY and CLERK_PUBLISHABLE_KEY must be set');
}

const clerk = createClerkClient({ secretKey, apiUrl, publishableKey, telemetry: { disabled: true } });
const run = randomUUID().slice(0, 8);

async function control(path, body) {
  const res = await fetch(`${apiUrl}/__clerkmock/${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

describe('@clerk/backend billing', () => {
  it('reads plans and subscriptions, extends a trial, cancels, and has({ plan, feature }) sees the plan', async () => {
    const pro = `pro_${run}`;
    const team = `team_${run}`;
    await control('billing/plans', { slug: pro, name: 'Pro', amount: 2000, free_trial_days: 14, features: [`reports_${run}`] });
    await control('billing/plans', { slug: team, name: 'Team', payer_type: 'org', amount: 9900 });
    const plans = await clerk.billing.getPlanList({ payerType: 'user' });
    const plan = plans.data.find((p) => p.slug === pro);
    assert.ok(plan, `plan ${pro} listed`);
    assert.equal(plan.fee.amount, 2000);
    assert.equal(plan.freeTrialDays, 14);
    assert.deepEqual(plan.features.map((f) => f.slug), [`reports_${run}`]);

    const user = await clerk.users.createUser({ emailAddress: [`billing.${run}@example.com`] });
    await control('billing/subscriptions', { user_id: user.id, plan: pro });
    const sub = await clerk.billing.getUserBillingSubscription(user.id);
    assert.equal(sub.status, 'active');
    const [item] = sub.subscriptionItems;
    assert.equal(item.isFreeTrial, true);
    assert.equal(item.plan.slug, pro);

    const extendTo = new Date(item.periodEnd + 3 * 86_400_000);
    const extended = await clerk.billing.extendSubscriptionItemFreeTrial(item.id, { extendTo });
    assert.equal(extended.periodEnd, extendTo.getTime());

    // the session token carries the plan and its features: the official has() grants them
    const session = await clerk.sessions.createSession({ userId: user.id });
    const { jwt } = await clerk.sessions.getToken(session.id);
    const state = await clerk.authenticateRequest(
      new Request('http://localhost:3000/api/me', { headers: { authorization: `Bearer ${jwt}` } }), { jwtKey });
    const auth = state.toAuth();
    assert.equal(auth.has({ plan: pro }), true);
    assert.equal(auth.has({ plan: `u:${pro}` }), true);
    assert.equal(auth.has({ feature: `reports_${run}` }), true);
    assert.equal(auth.has({ plan: team }), false);

    const canceled = await clerk.billing.cancelSubscriptionItem(item.id, { endNow: true });
    assert.equal(canceled.status, 'ended');

    const org = await clerk.organizations.createOrganization({ name: `Billing ${run}`, createdBy: user.id });
    await control('billing/subscriptions', { organization_id: org.id, plan: team });
    const orgSub = await clerk.billing.getOrganizationBillingSubscription(org.id);
    assert.equal(orgSub.subscriptionItems[0].plan.slug, team);
  });
});
