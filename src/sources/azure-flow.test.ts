import { describe, expect, it } from 'vitest';
import { azureFlow } from './azure-flow.ts';
import { detectFormat } from './index.ts';
import { ingestText } from './test-ingest.ts';

const NSG_ID =
  '/SUBSCRIPTIONS/5C3B7F1A-0000-4000-8000-00000000AB12/RESOURCEGROUPS/PROD/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WEB-NSG';

// An NSG flow log record of version 2: flows grouped by rule, then by network interface.
const NSG_RECORD = {
  time: '2024-04-02T10:00:51.8740000Z',
  systemId: '0f2d3c4b-0000-4000-8000-000000000001',
  macAddress: '000D3A1B2C3D',
  category: 'NetworkSecurityGroupFlowEvent',
  resourceId: NSG_ID,
  operationName: 'NetworkSecurityGroupFlowEvents',
  properties: {
    Version: 2,
    flows: [
      {
        rule: 'DefaultRule_DenyAllInBound',
        flows: [
          {
            mac: '000D3A1B2C3D',
            flowTuples: ['1712052000,198.51.100.7,10.1.0.4,50432,22,T,I,D,B,,,,'],
          },
        ],
      },
      {
        rule: 'UserRule_AllowHttpsOut',
        flows: [
          {
            mac: '000D3A1B2C3D',
            flowTuples: [
              '1712052010,10.1.0.4,203.0.113.50,49822,443,T,O,A,E,12,5120,40,880000',
              'not,a,tuple',
            ],
          },
        ],
      },
    ],
  },
};

// A virtual network flow log record: time in milliseconds, protocol numbers, state D for denied.
const VNET_RECORD = {
  time: '2024-04-02T10:01:00.0000000Z',
  flowLogVersion: 4,
  flowLogGUID: '7a6b5c4d-0000-4000-8000-000000000002',
  macAddress: '00224871C205',
  category: 'FlowLogFlowEvent',
  flowLogResourceID:
    '/SUBSCRIPTIONS/5C3B7F1A-0000-4000-8000-00000000AB12/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NW/FLOWLOGS/VNET-FLOWS',
  targetResourceID:
    '/SUBSCRIPTIONS/5C3B7F1A-0000-4000-8000-00000000AB12/RESOURCEGROUPS/PROD/PROVIDERS/MICROSOFT.NETWORK/VIRTUALNETWORKS/PROD-VNET',
  operationName: 'FlowLogFlowEvent',
  flowRecords: {
    flows: [
      {
        aclID: '00000000-1234-abcd-0000-000000000000',
        flowGroups: [
          {
            rule: 'DefaultRule_AllowInternetOutBound',
            flowTuples: [
              '1712052030123,10.1.0.6,192.0.2.180,23956,443,6,O,E,NX,7,2048,9,65536',
              '1712052031000,192.0.2.99,10.1.0.6,40000,3389,6,I,D,NX,0,0,0,0',
            ],
          },
        ],
      },
    ],
  },
};

describe('Azure flow logs', () => {
  it('reads each NSG flow tuple as one event with its rule, verdict and counts', async () => {
    const { events, rejected } = await ingestText(
      azureFlow,
      JSON.stringify({ records: [NSG_RECORD] }),
    );

    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      time: '2024-04-02T10:00:00.000Z',
      source: 'azure.flow',
      category: 'network',
      activity: 'Refuse',
      status: 'failure',
      status_detail: 'DefaultRule_DenyAllInBound',
      src: { ip: '198.51.100.7', port: 50432 },
      dst: { ip: '10.1.0.4', port: 22 },
      cloud: { provider: 'azure', account: '5c3b7f1a-0000-4000-8000-00000000ab12' },
      message:
        'DENY inbound TCP 198.51.100.7:50432 -> 10.1.0.4:22 (DefaultRule_DenyAllInBound) on WEB-NSG',
    });
    expect(events[1]).toMatchObject({
      status: 'success',
      src: { ip: '10.1.0.4', packets: 12, bytes: 5120 },
      dst: { ip: '203.0.113.50', port: 443, packets: 40, bytes: 880000 },
    });
    expect(events[1]?.raw).toMatchObject({
      flowTuple: '1712052010,10.1.0.4,203.0.113.50,49822,443,T,O,A,E,12,5120,40,880000',
      rule: 'UserRule_AllowHttpsOut',
      resourceId: NSG_ID,
    });
    // Each tuple is a record of its own, so every one is counted and the bad one is kept.
    expect(events.map((event) => event.evidence.record)).toEqual([0, 1]);
    expect(rejected).toEqual([expect.objectContaining({ code: 'invalid_flow_tuple' })]);
  });

  it('reads virtual network flow tuples, whose state D means denied', async () => {
    const { events } = await ingestText(azureFlow, JSON.stringify({ records: [VNET_RECORD] }));

    expect(events.map((event) => [event.time, event.status, event.dst.port])).toEqual([
      ['2024-04-02T10:00:30.123Z', 'success', 443],
      ['2024-04-02T10:00:31.000Z', 'failure', 3389],
    ]);
    expect(events[0]).toMatchObject({
      src: { bytes: 2048 },
      dst: { bytes: 65536 },
      resources: [
        { uid: VNET_RECORD.targetResourceID, type: 'flow_log_target' },
        { uid: '00224871C205', type: 'mac_address' },
      ],
    });
  });

  it('rejects a record without flow tuples and goes on', async () => {
    const empty = { ...NSG_RECORD, properties: { Version: 2, flows: [] } };
    const { events, rejected } = await ingestText(
      azureFlow,
      JSON.stringify({ records: [empty, VNET_RECORD] }),
    );

    expect(rejected).toEqual([expect.objectContaining({ code: 'no_flow_tuples', index: 0 })]);
    expect(events.map((event) => event.evidence.record)).toEqual([1, 2]);
  });

  it('counts and rejects tuples that are no strings', async () => {
    const tuples = [42, null, { a: 1 }, '1712052000,198.51.100.7,10.1.0.4,50432,22,T,I,D,B,,,,'];
    const record = {
      ...NSG_RECORD,
      properties: { Version: 2, flows: [{ rule: 'R', flows: [{ mac: 'M', flowTuples: tuples }] }] },
    };
    const { events, rejected } = await ingestText(azureFlow, JSON.stringify({ records: [record] }));

    expect(rejected.map((problem) => problem.code)).toEqual([
      'invalid_flow_tuple',
      'invalid_flow_tuple',
      'invalid_flow_tuple',
    ]);
    expect(events.map((event) => event.evidence.record)).toEqual([3]);
  });

  it('is told apart from Azure Monitor records by its first bytes', () => {
    const head = Buffer.from(JSON.stringify({ records: [NSG_RECORD] }));
    expect(detectFormat(head, 'PT1H.json')?.id).toBe('azure.flow');
    const vnet = Buffer.from(JSON.stringify({ records: [VNET_RECORD] }));
    expect(detectFormat(vnet, 'PT1H.json')?.id).toBe('azure.flow');
  });
});
