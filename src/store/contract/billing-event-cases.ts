/** Billing records: the webhook inbox, the audit log, the invoice mirror and per-object event versions. */
import { describe, expect, it } from 'vitest';
import type { InvoiceRecord, NewWebhookEvent } from '../../core/billing/billing-records.js';
import { type ContractContext, T0, unique } from './contract-context.js';

const webhookEvent = (overrides: Partial<NewWebhookEvent> = {}): NewWebhookEvent => ({
  id: unique('evt'),
  type: 'invoice.paid',
  created: T0,
  receivedAt: T0 + 5,
  payload: '{"id":"evt"}',
  ...overrides,
});

export const invoice = (overrides: Partial<InvoiceRecord> = {}): InvoiceRecord => ({
  id: unique('in'),
  customerId: null,
  stripeCustomerId: unique('cus_stripe'),
  subscriptionId: null,
  status: 'open',
  amountDue: 2900,
  amountPaid: 0,
  currency: 'usd',
  hostedInvoiceUrl: 'https://stripe.test/i/1',
  invoicePdf: null,
  periodStart: T0,
  periodEnd: T0 + 1000,
  paidAt: null,
  created: T0,
  stripeUpdatedAt: T0,
  ...overrides,
});

export function describeBillingEventCases(context: ContractContext): void {
  describe('webhook inbox', () => {
    it('records an event once: a duplicate id is reported as known and changes nothing', async () => {
      const event = webhookEvent();
      const first = await context.store.recordWebhookEvent(event);
      expect(first.isNew).toBe(true);
      expect(first.event).toEqual({
        ...event,
        status: 'received',
        attempts: 0,
        lastError: null,
        processedAt: null,
      });

      expect(await context.store.markWebhookEvent(event.id, { status: 'processed', at: T0 + 9 })).toBe(true);
      const again = await context.store.recordWebhookEvent({
        ...event,
        payload: '{"other":1}',
        receivedAt: T0 + 99,
      });
      expect(again.isNew).toBe(false);
      expect(again.event).toMatchObject({
        payload: event.payload,
        status: 'processed',
        attempts: 1,
        processedAt: T0 + 9,
      });
    });

    it('keeps a failure with its error and counts each attempt', async () => {
      const event = webhookEvent();
      await context.store.recordWebhookEvent(event);
      await context.store.markWebhookEvent(event.id, { status: 'failed', error: 'boom', at: T0 + 1 });
      expect(await context.store.getWebhookEvent(event.id)).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastError: 'boom',
        processedAt: null,
      });
      await context.store.markWebhookEvent(event.id, { status: 'processed', at: T0 + 2 });
      expect(await context.store.getWebhookEvent(event.id)).toMatchObject({
        status: 'processed',
        attempts: 2,
        lastError: null,
        processedAt: T0 + 2,
      });
      expect(await context.store.markWebhookEvent(unique('evt'), { status: 'processed', at: T0 })).toBe(
        false,
      );
      expect(await context.store.getWebhookEvent(unique('evt'))).toBeUndefined();
    });

    it('lists events newest first, filtered by type and status, page by page', async () => {
      const type = unique('test.type');
      const ids: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        const event = webhookEvent({ type, created: T0 + Math.floor(index / 2) });
        ids.push(event.id);
        await context.store.recordWebhookEvent(event);
      }
      await context.store.markWebhookEvent(ids[0] ?? '', { status: 'failed', error: 'x', at: T0 });
      const expected = ids
        .map((id, index) => ({ id, created: T0 + Math.floor(index / 2) }))
        .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1))
        .map((event) => event.id);

      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await context.store.listWebhookEvents({ type, limit: 2, ...(after ? { after } : {}) });
        seen.push(...page.events.map((event) => event.id));
        after = page.events.at(-1)?.id;
        if (!page.hasMore) break;
      }
      expect(seen).toEqual(expected);
      const failed = await context.store.listWebhookEvents({ type, status: 'failed', limit: 10 });
      expect(failed.events.map((event) => event.id)).toEqual([ids[0]]);
    });
  });

  describe('audit log', () => {
    it('appends entries and lists them newest first by customer, action and time', async () => {
      const customer = await context.newCustomer();
      const action = unique('test.action');
      const first = await context.store.appendAudit({
        at: T0,
        actor: 'stripe',
        action,
        customerId: customer.id,
        details: { from: 'active', to: 'past_due' },
      });
      await context.store.appendAudit({
        at: T0 + 10,
        actor: 'admin:key_1',
        action,
        customerId: customer.id,
        details: {},
      });
      await context.store.appendAudit({
        at: T0 + 20,
        actor: 'system',
        action,
        customerId: null,
        details: {},
      });

      const mine = await context.store.listAudit({ customerId: customer.id, limit: 10 });
      expect(mine.entries.map((entry) => entry.at)).toEqual([T0 + 10, T0]);
      expect(mine.entries[1]).toEqual(first);
      const recent = await context.store.listAudit({ action, since: T0 + 10, limit: 10 });
      expect(recent.entries.map((entry) => entry.actor)).toEqual(['system', 'admin:key_1']);
      const page = await context.store.listAudit({ action, limit: 1 });
      expect(page.hasMore).toBe(true);
      const next = await context.store.listAudit({ action, limit: 5, after: page.entries[0]?.id ?? '' });
      expect(next.entries.map((entry) => entry.at)).toEqual([T0 + 10, T0]);
      const window = await context.store.listAudit({ action, since: T0, until: T0 + 20, limit: 5 });
      expect(window.entries).toHaveLength(2);
    });
  });

  describe('invoice mirror', () => {
    it('upserts an invoice and never lets an older read replace a newer one', async () => {
      const customer = await context.newCustomer();
      const open = invoice({ customerId: customer.id, stripeUpdatedAt: T0 + 10 });
      await context.store.upsertInvoice(open);
      expect(await context.store.getInvoice(open.id)).toEqual(open);

      const paid = {
        ...open,
        status: 'paid' as const,
        amountPaid: 2900,
        paidAt: T0 + 20,
        stripeUpdatedAt: T0 + 20,
      };
      await context.store.upsertInvoice(paid);
      await context.store.upsertInvoice({ ...open, status: 'open', stripeUpdatedAt: T0 + 15 });
      expect(await context.store.getInvoice(open.id)).toEqual(paid);
      expect(await context.store.getInvoice(unique('in'))).toBeUndefined();
    });

    it('lists one customer invoices or all, newest first, filtered by status, page by page', async () => {
      const customer = await context.newCustomer();
      const invoices = [0, 1, 2].map((index) =>
        invoice({ customerId: customer.id, created: T0 + index, status: index === 1 ? 'paid' : 'open' }),
      );
      for (const record of invoices) await context.store.upsertInvoice(record);
      const first = await context.store.listInvoices({ customerId: customer.id, limit: 2 });
      expect(first.invoices.map((record) => record.created)).toEqual([T0 + 2, T0 + 1]);
      expect(first.hasMore).toBe(true);
      const rest = await context.store.listInvoices({
        customerId: customer.id,
        limit: 2,
        after: first.invoices[1]?.id ?? '',
      });
      expect(rest.invoices.map((record) => record.id)).toEqual([invoices[0]?.id]);
      expect(rest.hasMore).toBe(false);
      const paid = await context.store.listInvoices({ customerId: customer.id, status: 'paid', limit: 5 });
      expect(paid.invoices.map((record) => record.id)).toEqual([invoices[1]?.id]);
      const all = await context.store.listInvoices({ limit: 100 });
      expect(all.invoices.map((record) => record.id)).toEqual(
        expect.arrayContaining(invoices.map((r) => r.id)),
      );
    });
  });

  describe('Stripe object versions', () => {
    it('keeps the newest applied time, never moving back', async () => {
      const objectId = unique('sub');
      expect(await context.store.getObjectVersion(objectId)).toBeUndefined();
      await context.store.setObjectVersion(objectId, T0 + 5);
      await context.store.setObjectVersion(objectId, T0 + 2);
      expect(await context.store.getObjectVersion(objectId)).toBe(T0 + 5);
      await context.store.setObjectVersion(objectId, T0 + 8);
      expect(await context.store.getObjectVersion(objectId)).toBe(T0 + 8);
    });
  });
}
