/**
 * tollgate/emulator and tollgate/testing from the packed tarball, with plain node and none of the
 * optional peers: the emulator answers the Stripe SDK, and a test engine admits a metered request.
 * Prints one JSON line with what it saw.
 */
import Stripe from 'stripe';
import { demoCatalog } from 'tollgate';
import { startEmulator } from 'tollgate/emulator';
import { openTestTollgate } from 'tollgate/testing';

const emulator = await startEmulator();
const stripe = new Stripe(emulator.secretKey, emulator.stripeConfig());
const customer = await stripe.customers.create({ email: 'ada@example.com' });
await emulator.close();

const engine = await openTestTollgate({ catalog: demoCatalog() });
const { id } = await engine.newCustomer();
const decision = await engine.tollgate.consume(id, { operation: 'search' });
await engine.close();

process.stdout.write(`${JSON.stringify({ stripeCustomer: customer.object, allowed: decision.allowed })}\n`);
