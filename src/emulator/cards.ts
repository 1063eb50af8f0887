/**
 * Stripe's test cards: what each test payment method id, token or card number does.
 *
 * `decline` cards fail when attached and when charged (`pm_card_visa_chargeDeclined`); `decline_charges`
 * cards attach fine and then every charge fails (`pm_card_chargeCustomerFail`), which is how renewals
 * are made to fail.
 */

export type CardBehavior = 'succeed' | 'decline' | 'decline_charges';

export interface TestCard {
  name: string;
  brand: 'visa' | 'mastercard' | 'amex' | 'discover';
  last4: string;
  funding: 'credit' | 'debit';
  behavior: CardBehavior;
  declineCode: string | undefined;
}

const card = (
  name: string,
  brand: TestCard['brand'],
  last4: string,
  behavior: CardBehavior = 'succeed',
  declineCode?: string,
  funding: TestCard['funding'] = 'credit',
): TestCard => ({ name, brand, last4, funding, behavior, declineCode });

/** Keyed by the suffix after `pm_card_` / `tok_`. */
export const TEST_CARDS: Record<string, TestCard> = {
  visa: card('visa', 'visa', '4242'),
  visa_debit: card('visa_debit', 'visa', '5556', 'succeed', undefined, 'debit'),
  mastercard: card('mastercard', 'mastercard', '4444'),
  amex: card('amex', 'amex', '8431'),
  discover: card('discover', 'discover', '1117'),
  chargeCustomerFail: card('chargeCustomerFail', 'visa', '0341', 'decline_charges', 'generic_decline'),
  chargeDeclined: card('chargeDeclined', 'visa', '0002', 'decline', 'generic_decline'),
  visa_chargeDeclined: card('visa_chargeDeclined', 'visa', '0002', 'decline', 'generic_decline'),
  chargeDeclinedInsufficientFunds: card(
    'chargeDeclinedInsufficientFunds',
    'visa',
    '9995',
    'decline',
    'insufficient_funds',
  ),
  visa_chargeDeclinedInsufficientFunds: card(
    'visa_chargeDeclinedInsufficientFunds',
    'visa',
    '9995',
    'decline',
    'insufficient_funds',
  ),
  chargeDeclinedExpiredCard: card('chargeDeclinedExpiredCard', 'visa', '0069', 'decline', 'expired_card'),
  chargeDeclinedFraudulent: card('chargeDeclinedFraudulent', 'visa', '0019', 'decline', 'fraudulent'),
};

const BY_NUMBER: Record<string, string> = {
  '4242424242424242': 'visa',
  '4000056655665556': 'visa_debit',
  '5555555555554444': 'mastercard',
  '378282246310005': 'amex',
  '6011111111111117': 'discover',
  '4000000000000341': 'chargeCustomerFail',
  '4000000000000002': 'chargeDeclined',
  '4000000000009995': 'chargeDeclinedInsufficientFunds',
  '4000000000000069': 'chargeDeclinedExpiredCard',
  '4100000000000019': 'chargeDeclinedFraudulent',
};

/** `pm_card_visa`, `tok_visa` or a bare suffix -> the test card, or undefined for other ids. */
export function testCardFor(idOrToken: string): TestCard | undefined {
  const match = /^(?:pm_card_|tok_)(.+)$/.exec(idOrToken);
  if (match === null) return undefined;
  return TEST_CARDS[match[1]!];
}

export function testCardForNumber(number: string): TestCard | undefined {
  const key = BY_NUMBER[number.replaceAll(/\s/g, '')];
  return key === undefined ? undefined : TEST_CARDS[key];
}

/** The cards a hosted page offers, in display order. */
export const HOSTED_PAGE_CARDS: Array<{ id: string; label: string }> = [
  { id: 'pm_card_visa', label: 'Visa 4242 4242 4242 4242 (succeeds)' },
  { id: 'pm_card_mastercard', label: 'Mastercard 5555 5555 5555 4444 (succeeds)' },
  { id: 'pm_card_chargeCustomerFail', label: 'Visa 4000 0000 0000 0341 (attaches, later charges fail)' },
  { id: 'pm_card_visa_chargeDeclined', label: 'Visa 4000 0000 0000 0002 (declined)' },
  {
    id: 'pm_card_visa_chargeDeclinedInsufficientFunds',
    label: 'Visa 4000 0000 0000 9995 (insufficient funds)',
  },
];
