import { describeStoreContract } from './store-contract.js';
import { openPostgresTestStore } from './test-databases.js';

describeStoreContract('postgres', openPostgresTestStore);
