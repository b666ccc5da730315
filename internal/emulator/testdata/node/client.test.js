// HubSpot's official Node.js client (@hubspot/api-client) against the syncd HubSpot emulator.
//
// Run by TestNodeClient (internal/emulator/clients_conformance_test.go), which starts a fresh
// emulator and passes its address and a token in HUBSPOT_BASE_URL and HUBSPOT_ACCESS_TOKEN.
// By hand: start `syncd emulator`, then
//   HUBSPOT_BASE_URL=http://127.0.0.1:8080 HUBSPOT_ACCESS_TOKEN=<token> node --test
//
// The client calls the legacy /crm/v3 and /crm/v4 paths and rejects any status code its
// generated code does not expect, so these tests check the emulator's v3/v4 surface as
// HubSpot's own SDK sees it.

'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const hubspot = require('@hubspot/api-client');

const basePath = process.env.HUBSPOT_BASE_URL;
const accessToken = process.env.HUBSPOT_ACCESS_TOKEN;
if (!basePath || !accessToken) {
  throw new Error('set HUBSPOT_BASE_URL and HUBSPOT_ACCESS_TOKEN (see the comment at the top of this file)');
}

const client = new hubspot.Client({ accessToken, basePath });

// A run-unique suffix keeps the tests independent of what the emulator already holds.
const run = `${process.pid}-${Date.now()}`;

// HubSpot-defined association type IDs (../shared/hubspot/relations.md §2.5).
const T = {
  contactToCompany: 279,
  dealToContact: 3,
  dealToCompany: 341,
  lineItemToDeal: 20,
  ticketToContact: 16,
  ticketToDeal: 28,
};
const spec = (typeId) => [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }];
const inline = (id, typeId) => ({ to: { id }, types: spec(typeId) });

// Shared records, created by the first tests and used by the later ones (tests in one file
// run in order).
const ids = {};

test('account has the default deal and ticket pipelines', async () => {
  const deals = await client.crm.pipelines.pipelinesApi.getAll('deals');
  const def = deals.results.find((p) => p.id === 'default');
  assert.ok(def, 'deal pipeline "default" exists');
  assert.ok(def.stages.some((s) => s.id === 'appointmentscheduled'));
  assert.ok(def.stages.some((s) => s.id === 'closedwon' && s.metadata.isClosed === 'true'));

  const tickets = await client.crm.pipelines.pipelinesApi.getAll('tickets');
  const support = tickets.results.find((p) => p.id === '0');
  assert.ok(support, 'ticket pipeline "0" exists');
  assert.ok(support.stages.some((s) => s.id === '1'));

  const one = await client.crm.pipelines.pipelinesApi.getById('deals', 'default');
  assert.equal(one.id, 'default');
  const stages = await client.crm.pipelines.pipelineStagesApi.getAll('deals', 'default');
  assert.equal(stages.results.length, def.stages.length);
});

test('pipelines: create a deal pipeline with stages and add a stage', async () => {
  const p = await client.crm.pipelines.pipelinesApi.create('deals', {
    label: `Wholesale ${run}`,
    displayOrder: 1,
    stages: [
      { label: 'Quoted', displayOrder: 0, metadata: { probability: '0.5' } },
      { label: 'Won', displayOrder: 1, metadata: { probability: '1.0', isClosed: 'true' } },
    ],
  });
  assert.ok(p.id);
  assert.equal(p.stages.length, 2);
  const s = await client.crm.pipelines.pipelineStagesApi.create('deals', p.id, {
    label: 'Lost', displayOrder: 2, metadata: { probability: '0.0', isClosed: 'true' },
  });
  assert.ok(s.id);
  const again = await client.crm.pipelines.pipelinesApi.getById('deals', p.id);
  assert.equal(again.stages.length, 3);
});

test('properties: list, read and create a unique ERP-ID property', async () => {
  const all = await client.crm.properties.coreApi.getAll('contacts');
  assert.ok(all.results.some((p) => p.name === 'email'));
  const email = await client.crm.properties.coreApi.getByName('contacts', 'email');
  assert.equal(email.name, 'email');
  for (const objectType of ['companies', 'deals', 'tickets', 'products', 'line_items']) {
    const groupName = (await client.crm.properties.groupsApi.getAll(objectType)).results[0].name;
    const p = await client.crm.properties.coreApi.create(objectType, {
      name: 'erp_id', label: 'ERP ID', type: 'string', fieldType: 'text', groupName, hasUniqueValue: true,
    });
    assert.equal(p.name, 'erp_id');
    assert.equal(p.hasUniqueValue, true);
  }
});

test('companies and contacts: create, read, update, associate inline', async () => {
  const company = await client.crm.companies.basicApi.create({
    properties: { name: 'Siam Widgets Co., Ltd.', domain: `siam-${run}.example.co.th`, erp_id: `CO-${run}` },
    associations: [],
  });
  assert.match(company.id, /^\d+$/);
  assert.equal(company.properties.name, 'Siam Widgets Co., Ltd.');
  ids.company = company.id;

  const contact = await client.crm.contacts.basicApi.create({
    properties: { email: `somchai-${run}@example.co.th`, firstname: 'Somchai', lastname: 'Jaidee' },
    associations: [inline(company.id, T.contactToCompany)],
  });
  assert.match(contact.id, /^\d+$/);
  assert.ok(contact.createdAt instanceof Date);
  ids.contact = contact.id;

  const read = await client.crm.contacts.basicApi.getById(contact.id, ['email', 'firstname'], undefined, ['companies']);
  assert.equal(read.properties.email, `somchai-${run}@example.co.th`);
  assert.deepEqual(read.associations.companies.results.map((r) => r.id), [company.id]);

  const byEmail = await client.crm.contacts.basicApi.getById(`somchai-${run}@example.co.th`, ['firstname'], undefined, undefined, false, 'email');
  assert.equal(byEmail.id, contact.id);

  const updated = await client.crm.contacts.basicApi.update(contact.id, { properties: { phone: '+66812345678' } });
  assert.equal(updated.properties.phone, '+66812345678');
});

test('contacts: a duplicate email is a 409 CONFLICT naming the existing ID', async () => {
  await assert.rejects(
    client.crm.contacts.basicApi.create({ properties: { email: `somchai-${run}@example.co.th` }, associations: [] }),
    (err) => {
      assert.equal(err.code, 409);
      assert.equal(err.body.category, 'CONFLICT');
      assert.match(err.body.message, new RegExp(`Existing ID: ${ids.contact}`));
      return true;
    },
  );
});

test('contacts: an unknown ID is a 404', async () => {
  await assert.rejects(client.crm.contacts.basicApi.getById('999999999999'), (err) => err.code === 404);
});

test('batch upsert: contacts by email, companies by a unique property', async () => {
  const inputs = [
    { id: `somchai-${run}@example.co.th`, idProperty: 'email', properties: { lastname: 'Jaidee-Updated' } },
    { id: `malee-${run}@example.co.th`, idProperty: 'email', properties: { firstname: 'Malee' } },
  ];
  const res = await client.crm.contacts.batchApi.upsert({ inputs });
  assert.equal(res.status, 'COMPLETE');
  assert.equal(res.results.length, 2);
  const existing = res.results.find((r) => r.id === ids.contact);
  assert.ok(existing, 'the existing contact is updated, not duplicated');
  assert.equal(existing._new, false);
  const created = res.results.find((r) => r.id !== ids.contact);
  assert.equal(created._new, true);
  ids.contact2 = created.id;

  const companies = await client.crm.companies.batchApi.upsert({
    inputs: [
      { id: `CO-${run}`, idProperty: 'erp_id', properties: { phone: '+6621234567' } },
      { id: `CO2-${run}`, idProperty: 'erp_id', properties: { name: 'Chiang Mai Trading' } },
    ],
  });
  assert.equal(companies.results.length, 2);
  assert.ok(companies.results.some((r) => r.id === ids.company && r._new === false));

  const read = await client.crm.companies.batchApi.read({
    inputs: [{ id: `CO-${run}` }, { id: `CO2-${run}` }], idProperty: 'erp_id', properties: ['name', 'phone'], propertiesWithHistory: [],
  });
  assert.equal(read.results.length, 2);
});

test('deals with products and line items', async () => {
  const product = await client.crm.products.basicApi.create({
    properties: { name: 'Widget', hs_sku: `W-${run}`, price: '450.00', description: 'A widget' },
    associations: [],
  });
  ids.product = product.id;

  const deal = await client.crm.deals.basicApi.create({
    properties: { dealname: `SO-${run}`, pipeline: 'default', dealstage: 'appointmentscheduled', amount: '900' },
    associations: [inline(ids.contact, T.dealToContact), inline(ids.company, T.dealToCompany)],
  });
  ids.deal = deal.id;
  assert.equal(deal.properties.dealstage, 'appointmentscheduled');

  const items = await client.crm.lineItems.batchApi.create({
    inputs: [
      { properties: { hs_product_id: product.id, quantity: '2', price: '450.00', name: 'Widget' }, associations: [inline(deal.id, T.lineItemToDeal)] },
      { properties: { quantity: '1', price: '99.50', name: 'Shipping' }, associations: [inline(deal.id, T.lineItemToDeal)] },
    ],
  });
  assert.equal(items.results.length, 2);

  const withItems = await client.crm.deals.basicApi.getById(deal.id, ['dealname'], undefined, ['line_items', 'contacts', 'companies']);
  assert.equal(withItems.associations.line_items.results.length, 2);
  assert.deepEqual(withItems.associations.contacts.results.map((r) => r.id), [ids.contact]);

  const moved = await client.crm.deals.basicApi.update(deal.id, { properties: { dealstage: 'closedwon', closedate: '2026-11-27' } });
  assert.equal(moved.properties.dealstage, 'closedwon');
});

test('deals: a stage outside the pipeline is a 400 VALIDATION_ERROR', async () => {
  await assert.rejects(
    client.crm.deals.basicApi.create({ properties: { dealname: 'bad', pipeline: 'default', dealstage: 'no-such-stage' }, associations: [] }),
    (err) => err.code === 400 && err.body.category === 'VALIDATION_ERROR',
  );
});

test('tickets: create with associations, batch read', async () => {
  const ticket = await client.crm.tickets.basicApi.create({
    properties: { subject: 'Widget arrived broken', content: 'Box crushed', hs_pipeline: '0', hs_pipeline_stage: '1', hs_ticket_priority: 'HIGH' },
    associations: [inline(ids.contact, T.ticketToContact), inline(ids.deal, T.ticketToDeal)],
  });
  ids.ticket = ticket.id;
  const read = await client.crm.tickets.batchApi.read({ inputs: [{ id: ticket.id }], properties: ['subject'], propertiesWithHistory: [] });
  assert.equal(read.results[0].properties.subject, 'Widget arrived broken');
});

test('associations v4: default, labeled, batch read, list and archive', async () => {
  await client.crm.associations.v4.basicApi.createDefault('contacts', ids.contact2, 'companies', ids.company);

  const labeled = await client.crm.associations.v4.basicApi.create('tickets', ids.ticket, 'companies', ids.company, spec(339));
  assert.equal(labeled.fromObjectTypeId, '0-5');
  assert.equal(labeled.toObjectTypeId, '0-2');

  const batch = await client.crm.associations.v4.batchApi.create('deals', 'contacts', {
    inputs: [{ _from: { id: ids.deal }, to: { id: ids.contact2 }, types: spec(T.dealToContact) }],
  });
  assert.equal(batch.status, 'COMPLETE');

  const read = await client.crm.associations.v4.batchApi.getPage('companies', 'contacts', { inputs: [{ id: ids.company }] });
  const to = read.results[0].to.map((t) => String(t.toObjectId)).sort();
  assert.deepEqual(to, [ids.contact, ids.contact2].sort());

  const page = await client.crm.associations.v4.basicApi.getPage('deals', ids.deal, 'contacts');
  assert.equal(page.results.length, 2);

  const labels = await client.crm.associations.v4.schema.definitionsApi.getAll('contacts', 'companies');
  assert.ok(labels.results.some((l) => l.typeId === T.contactToCompany));

  await client.crm.associations.v4.basicApi.archive('deals', ids.deal, 'contacts', ids.contact2);
  const after = await client.crm.associations.v4.basicApi.getPage('deals', ids.deal, 'contacts');
  assert.equal(after.results.length, 1);
});

test('search: filters, IN, sorting and paging', async () => {
  const bySubject = await client.crm.tickets.searchApi.doSearch({
    filterGroups: [{ filters: [{ propertyName: 'hs_pipeline_stage', operator: 'EQ', value: '1' }] }],
    properties: ['subject'], limit: 10, after: '0', sorts: [],
  });
  assert.ok(bySubject.total >= 1);

  const byEmail = await client.crm.contacts.searchApi.doSearch({
    filterGroups: [{ filters: [{ propertyName: 'email', operator: 'IN', values: [`somchai-${run}@example.co.th`, `malee-${run}@example.co.th`] }] }],
    properties: ['email'], limit: 1, after: '0', sorts: ['email'],
  });
  assert.equal(byEmail.total, 2);
  assert.equal(byEmail.results.length, 1);
  assert.ok(byEmail.paging && byEmail.paging.next.after, 'a second page is announced');
  const next = await client.crm.contacts.searchApi.doSearch({
    filterGroups: [{ filters: [{ propertyName: 'email', operator: 'IN', values: [`somchai-${run}@example.co.th`, `malee-${run}@example.co.th`] }] }],
    properties: ['email'], limit: 1, after: byEmail.paging.next.after, sorts: ['email'],
  });
  assert.equal(next.results.length, 1);
  assert.notEqual(next.results[0].id, byEmail.results[0].id);
});

test('more of the surface: property groups, batch update, list paging, v3 associations, custom labels, stages', async () => {
  const group = await client.crm.properties.groupsApi.create('contacts', { name: 'erp_data', label: 'ERP data', displayOrder: 1 });
  assert.equal(group.name, 'erp_data');
  assert.equal((await client.crm.properties.groupsApi.getByName('contacts', 'erp_data')).label, 'ERP data');

  const upd = await client.crm.contacts.batchApi.update({ inputs: [{ id: ids.contact, properties: { lastname: 'Batch' } }] });
  assert.equal(upd.results[0].properties.lastname, 'Batch');

  const page1 = await client.crm.contacts.basicApi.getPage(1, undefined, ['email'], undefined, ['companies']);
  assert.equal(page1.results.length, 1);
  assert.ok(page1.paging && page1.paging.next.after, 'a second page is announced');
  const page2 = await client.crm.contacts.basicApi.getPage(1, page1.paging.next.after, ['email']);
  assert.notEqual(page2.results[0].id, page1.results[0].id);

  // v3 associations name their type ("ticket_to_company"-style) instead of a type ID.
  const types = await client.crm.associations.schema.typesApi.getAll('tickets', 'companies');
  const type = types.results.find((r) => r.id === '339');
  assert.ok(type, 'ticket → company type 339 is listed');
  await client.crm.associations.batchApi.create('tickets', 'companies', { inputs: [{ _from: { id: ids.ticket }, to: { id: ids.company }, type: type.name }] });
  const v3read = await client.crm.associations.batchApi.read('tickets', 'companies', { inputs: [{ id: ids.ticket }] });
  assert.ok(v3read.results[0].to.some((t) => t.id === ids.company));

  // A custom (USER_DEFINED) label: create, use, rename, drop from the pair, delete.
  const created = await client.crm.associations.v4.schema.definitionsApi.create('contacts', 'companies', { label: 'Billing contact', name: 'billing_contact' });
  const label = created.results.find((l) => l.label === 'Billing contact');
  assert.ok(label, 'the new label is in the answer');
  assert.equal(label.category, 'USER_DEFINED');
  const userDefined = [{ associationCategory: 'USER_DEFINED', associationTypeId: label.typeId }];
  const pair = await client.crm.associations.v4.basicApi.create('contacts', ids.contact, 'companies', ids.company, userDefined);
  assert.ok(pair.labels.includes('Billing contact'));
  await client.crm.associations.v4.schema.definitionsApi.update('contacts', 'companies', { associationTypeId: label.typeId, label: 'Billing' });
  await client.crm.associations.v4.batchApi.archiveLabels('contacts', 'companies', {
    inputs: [{ _from: { id: ids.contact }, to: { id: ids.company }, types: userDefined }],
  });
  await client.crm.associations.v4.schema.definitionsApi.remove('contacts', 'companies', label.typeId);
  const stillLinked = await client.crm.associations.v4.basicApi.getPage('contacts', ids.contact, 'companies');
  assert.equal(stillLinked.results.length, 1, 'removing the label keeps the unlabeled association');

  const stage = await client.crm.pipelines.pipelineStagesApi.update('tickets', '0', '2', { label: 'Waiting on customer', metadata: { ticketState: 'OPEN' } });
  assert.equal(stage.label, 'Waiting on customer');
});

test('merge companies and GDPR-delete a contact', async () => {
  const a = await client.crm.companies.basicApi.create({ properties: { name: 'Merge A', domain: `merge-a-${run}.example.co.th` }, associations: [] });
  const b = await client.crm.companies.basicApi.create({ properties: { name: 'Merge B', domain: `merge-b-${run}.example.co.th` }, associations: [] });
  const merged = await client.crm.companies.basicApi.merge({ primaryObjectId: a.id, objectIdToMerge: b.id });
  assert.match(merged.id, /^\d+$/);
  assert.equal(merged.properties.name, 'Merge A', "the primary's values win");

  const g = await client.crm.contacts.basicApi.create({ properties: { email: `gdpr-${run}@example.co.th` }, associations: [] });
  await client.crm.contacts.basicApi.purge({ objectId: g.id });
  await assert.rejects(client.crm.contacts.basicApi.getById(g.id), (err) => err.code === 404);
});

test('archive: batch archive hides records from reads', async () => {
  await client.crm.contacts.batchApi.archive({ inputs: [{ id: ids.contact2 }] });
  await assert.rejects(client.crm.contacts.basicApi.getById(ids.contact2), (err) => err.code === 404);
});

test('rate limits: the client retries 429s from the search limit (5/s) and succeeds', async () => {
  // Without retries the sixth search in one second is refused with HubSpot's exact body.
  const bare = new hubspot.Client({ accessToken, basePath });
  const search = (c) => c.crm.companies.searchApi.doSearch({ filterGroups: [], properties: ['name'], limit: 1, after: '0', sorts: [] });
  const burst = await Promise.allSettled(Array.from({ length: 8 }, () => search(bare)));
  const refused = burst.filter((r) => r.status === 'rejected');
  assert.ok(refused.length >= 1, 'at least one of 8 simultaneous searches is refused');
  for (const r of refused) {
    assert.equal(r.reason.code, 429);
    assert.equal(r.reason.body.message, 'You have reached your secondly limit.');
  }

  // With numberOfApiCallRetries the client waits (1 s × attempt) and every search succeeds.
  const retrying = new hubspot.Client({ accessToken, basePath, numberOfApiCallRetries: 5 });
  const logged = [];
  const original = console.error;
  console.error = (...args) => logged.push(args.join(' '));
  let results;
  try {
    results = await Promise.all(Array.from({ length: 8 }, () => search(retrying)));
  } finally {
    console.error = original;
  }
  assert.equal(results.length, 8);
  assert.ok(logged.some((l) => l.includes('[429]')), 'the client logged at least one 429 retry');
});

test('auth: a wrong token is a 401', async () => {
  const wrong = new hubspot.Client({ accessToken: 'not-the-token', basePath });
  await assert.rejects(wrong.crm.contacts.basicApi.getPage(1), (err) => err.code === 401);
});
