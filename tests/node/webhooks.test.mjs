// @clerk/backend's verifyWebhook (the handler code Clerk's docs tell apps to write) accepts what clerkmock
// delivers.  Driven by tests/webhooks/test_node_verify.py, which captures real deliveries and passes them in a
// JSON file (CLERKMOCK_WEBHOOK_SAMPLES); skipped when run without it (e.g. by tests/test_node_sdk.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { verifyWebhook } from '@clerk/backend/webhooks';

const file = process.env.CLERKMOCK_WEBHOOK_SAMPLES;
const samples = file ? JSON.parse(readFileSync(file, 'utf8')) : null;
const skip = samples ? false : 'CLERKMOCK_WEBHOOK_SAMPLES is not set (tests/webhooks/test_node_verify.py sets it)';

const request = (headers, body) =>
  new Request('http://localhost:3000/api/webhooks', { method: 'POST', headers, body });

test('verifyWebhook accepts every delivery clerkmock signed', { skip }, async () => {
  assert.ok(samples.deliveries.length > 0);
  for (const d of samples.deliveries) {
    const evt = await verifyWebhook(request(d.headers, d.body), { signingSecret: samples.secret });
    const sent = JSON.parse(d.body);
    assert.equal(evt.type, sent.type);
    assert.equal(evt.object, 'event');
    assert.deepEqual(evt.data, sent.data);
    assert.equal(evt.timestamp, sent.timestamp);
    assert.equal(evt.instance_id, sent.instance_id);
    assert.deepEqual(evt.event_attributes, sent.event_attributes);
  }
});

test('verifyWebhook reads CLERK_WEBHOOK_SIGNING_SECRET, as in Clerk\'s guide', { skip }, async () => {
  assert.equal(process.env.CLERK_WEBHOOK_SIGNING_SECRET, samples.secret);
  const d = samples.deliveries[0];
  const evt = await verifyWebhook(request(d.headers, d.body));
  if (evt.type === 'user.created') {
    assert.match(evt.data.id, /^user_/);
  }
  assert.equal(evt.type, JSON.parse(d.body).type);
});

test('verifyWebhook refuses a tampered body, a wrong secret and missing headers', { skip }, async () => {
  const d = samples.deliveries[0];
  await assert.rejects(verifyWebhook(request(d.headers, d.body.replace('"object":"event"', '"object":"evil"')),
    { signingSecret: samples.secret }), /verify/);
  await assert.rejects(verifyWebhook(request(d.headers, d.body), { signingSecret: samples.other_secret }), /verify/);
  const { 'svix-signature': _, ...unsigned } = d.headers;
  await assert.rejects(verifyWebhook(request(unsigned, d.body), { signingSecret: samples.secret }), /svix-signature/);
});
