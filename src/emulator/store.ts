/**
 * In-memory object store: every API object by id, in creation order, plus private per-object notes.
 *
 * Objects are kept in their API shape so that retrieving one is a copy, not a conversion. What Stripe
 * keeps but never shows (which test card declines, when the next retry is due) lives in `notes`, keyed
 * by the same id, so the API objects stay exactly Stripe's shape.
 */
import { resourceMissing } from './errors.js';
import type { ApiObject, Kind, Kinds } from './types.js';

export interface StoreSnapshot {
  objects: ApiObject[];
  notes: Array<[string, Record<string, unknown>]>;
  deleted: Array<[string, string]>;
}

/** Human names used in "No such customer: 'cus_x'" errors. */
const KIND_NAMES: Partial<Record<string, string>> = {
  invoiceitem: 'invoiceitem',
  'checkout.session': 'checkout.session',
  'billing.meter': 'billing.meter',
  'test_helpers.test_clock': 'test_clock',
  subscription_item: 'subscription item',
  payment_method: 'PaymentMethod',
  payment_intent: 'payment_intent',
  setup_intent: 'setupintent',
};

export class Store {
  private objects = new Map<string, ApiObject>();
  private notes = new Map<string, Record<string, unknown>>();
  /** Ids of deleted objects and their kind, so retrieving one answers `{ deleted: true }` like Stripe. */
  private deleted = new Map<string, string>();
  /** Bumped on every write so persistence knows when to save. */
  version = 0;

  insert<K extends Kind>(object: Kinds[K]): Kinds[K] {
    this.objects.set((object as unknown as ApiObject).id, object as unknown as ApiObject);
    this.version += 1;
    return object;
  }

  /** Marks an object as changed in place (objects are mutated directly by handlers). */
  touch(): void {
    this.version += 1;
  }

  get<K extends Kind>(kind: K, id: string): Kinds[K] | undefined {
    const object = this.objects.get(id);
    if (object === undefined || object.object !== kind) return undefined;
    return object as unknown as Kinds[K];
  }

  getAny(id: string): ApiObject | undefined {
    return this.objects.get(id);
  }

  require<K extends Kind>(kind: K, id: string, param = 'id'): Kinds[K] {
    const object = this.get(kind, id);
    if (object === undefined) throw resourceMissing(KIND_NAMES[kind] ?? kind, id, param);
    return object;
  }

  /** Objects of one kind, oldest first; filter in the caller. */
  all<K extends Kind>(kind: K): Array<Kinds[K]> {
    const out: Array<Kinds[K]> = [];
    for (const object of this.objects.values()) {
      if (object.object === kind) out.push(object as unknown as Kinds[K]);
    }
    return out;
  }

  remove(id: string): void {
    const object = this.objects.get(id);
    if (object === undefined) return;
    this.objects.delete(id);
    this.notes.delete(id);
    this.deleted.set(id, object.object);
    this.version += 1;
  }

  wasDeleted(kind: string, id: string): boolean {
    return this.deleted.get(id) === kind;
  }

  note<T extends Record<string, unknown>>(id: string): Partial<T> {
    let entry = this.notes.get(id);
    if (entry === undefined) {
      entry = {};
      this.notes.set(id, entry);
    }
    return entry as Partial<T>;
  }

  setNote(id: string, values: Record<string, unknown>): void {
    Object.assign(this.note(id), values);
    this.version += 1;
  }

  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const object of this.objects.values()) counts[object.object] = (counts[object.object] ?? 0) + 1;
    return counts;
  }

  clear(): void {
    this.objects.clear();
    this.notes.clear();
    this.deleted.clear();
    this.version += 1;
  }

  snapshot(): StoreSnapshot {
    return {
      objects: [...this.objects.values()],
      notes: [...this.notes.entries()],
      deleted: [...this.deleted.entries()],
    };
  }

  restore(snapshot: StoreSnapshot): void {
    this.clear();
    for (const object of snapshot.objects) this.objects.set(object.id, object);
    for (const [id, note] of snapshot.notes) this.notes.set(id, note);
    for (const [id, kind] of snapshot.deleted) this.deleted.set(id, kind);
  }
}
