/** The Express adapter through the shared adapter contract, on a real socket. */
import { describeAdapterContract } from './adapter-contract.js';
import { mountExpress } from './contract-servers.js';

describeAdapterContract('express', mountExpress);
