/** The Hono adapter through the shared adapter contract, on a real socket. */
import { describeAdapterContract } from './adapter-contract.js';
import { mountHono } from './contract-servers.js';

describeAdapterContract('hono', mountHono);
