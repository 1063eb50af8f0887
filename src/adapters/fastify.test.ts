/** The Fastify adapter through the shared adapter contract, on a real socket. */
import { describeAdapterContract } from './adapter-contract.js';
import { mountFastify } from './contract-servers.js';

describeAdapterContract('fastify', mountFastify);
