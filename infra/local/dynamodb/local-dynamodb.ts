import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  DescribeTableCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { VIDEOS_TABLE_DEFINITION } from '../../shared/resources.ts';
import type { CloudLog } from '../cloud-log.ts';
import type { JsonEndpointAccess } from '../iam/local-access.ts';
import { LOCAL_ADMIN_CREDENTIALS, LOCAL_REGION } from '../local-resources.ts';
import { startDynamoDbProxy } from './dynamodb-proxy.ts';

export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, globalSecondaryIndexes, projection, billingMode } = VIDEOS_TABLE_DEFINITION;
  const attributes = new Map<string, 'S'>([[partitionKey.name, partitionKey.type]]);
  for (const index of globalSecondaryIndexes) {
    attributes.set(index.partitionKey.name, index.partitionKey.type);
    attributes.set(index.sortKey.name, index.sortKey.type);
  }
  return {
    TableName: tableName,
    BillingMode: billingMode,
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    KeySchema: [{ AttributeName: partitionKey.name, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: projection },
    })),
  };
}

export interface LocalDynamoDb {
  endpoint: string;
  table: string;
  stop(): Promise<void>;
}

/**
 * dynalite on 127.0.0.1 with the videos table, behind a front door that checks signatures and IAM
 * (dynamodb-proxy.ts): `endpoint` is the front door's. In memory, or in LevelDB under `dataDir/dynamodb` when
 * given (the table is then created only the first time).
 */
export async function startLocalDynamoDb(options: { table: string; dataDir?: string; access: JsonEndpointAccess; logger?: CloudLog }): Promise<LocalDynamoDb> {
  let path: string | undefined;
  if (options.dataDir !== undefined) {
    path = join(options.dataDir, 'dynamodb');
    await mkdir(path, { recursive: true });
  }
  // createTableMs 0: the table is ACTIVE at once instead of after dynalite's simulated 500 ms.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(path === undefined ? {} : { path }) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const dynaliteEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Straight to dynalite, as CloudFormation creates the table: no principal of the pipeline does this.
  const client = new DynamoDBClient({ endpoint: dynaliteEndpoint, region: LOCAL_REGION, credentials: LOCAL_ADMIN_CREDENTIALS });
  try {
    await createTableUnlessExists(client, createTableInput(options.table));
  } finally {
    client.destroy();
  }
  const proxy = await startDynamoDbProxy({ target: dynaliteEndpoint, access: options.access, ...(options.logger ? { logger: options.logger } : {}) });

  return {
    endpoint: proxy.endpoint,
    table: options.table,
    async stop() {
      await proxy.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

async function createTableUnlessExists(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: input.TableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateTableCommand(input));
  }
}
