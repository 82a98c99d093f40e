import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat } from './index.ts';
import { m365Audit } from './m365-audit.ts';
import { ingestLogFile, ingestText, LOGS, pantherLogs } from './test-ingest.ts';

const OTRF_OFFICE = 'otrf-goldensaml-adfs-mail-access/OfficeActivityEvents.json';
const PLASO = 'plaso-cloud-test-data/test_data/microsoft_audit_log.jsonl';

describe('Microsoft 365 unified audit log', () => {
  it('reads the mailbox access of the Golden SAML dataset from its Log Analytics export', async () => {
    const { events, rejected } = await ingestLogFile(m365Audit, OTRF_OFFICE);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      time: '2021-08-02T13:32:07.000Z',
      source: 'm365.audit',
      category: 'storage',
      activity: 'Read',
      status: 'success',
      actor: { uid: 'pgustavo@simulandlabs.com' },
      src: { ip: '1.2.3.4' },
      api: { service: 'Exchange', operation: 'MailItemsAccessed', read_only: true },
    });
  });

  it('reads every AuditData record of a real export at its UTC time', async () => {
    const { events, rejected } = await ingestLogFile(m365Audit, PLASO);
    const stated = readFileSync(path.join(LOGS, PLASO), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => `${(JSON.parse(line) as { CreationTime: string }).CreationTime}.000Z`);

    expect(rejected).toEqual([]);
    expect(events.map((event) => event.time)).toEqual(stated);
    expect(events[0]?.actor).toMatchObject({
      type: 'DcAdmin',
      account: '5a0f38c6-710b-4503-92c0-3a9f6e00f726',
    });
  });

  it('is recognised from its first bytes, apart from the Azure formats', () => {
    for (const relative of [OTRF_OFFICE, PLASO]) {
      const head = readFileSync(path.join(LOGS, relative));
      expect(detectFormat(head, 'audit.json')?.id).toBe('m365.audit');
    }
  });

  it('reads every Panther unified audit test record, whatever the case of its keys', async () => {
    for (const logType of [
      'Microsoft365.Audit.AzureActiveDirectory',
      'Microsoft365.Audit.Exchange',
      'Microsoft365.Audit.SharePoint',
    ]) {
      const { events, rejected } = await ingestText(m365Audit, pantherLogs(logType));
      expect(rejected).toEqual([]);
      expect(events.length).toBeGreaterThan(0);
    }
    const exchange = await ingestText(m365Audit, pantherLogs('Microsoft365.Audit.Exchange'));
    expect(exchange.events[0]).toMatchObject({
      api: { operation: 'Set-Mailbox' },
      actor: { uid: 'homer.simpson@simpsons.onmicrosoft.com', type: 'Admin' },
      // An administrator's cmdlet changes configuration; it reads no mail.
      category: 'audit',
    });
  });

  it('keeps the address of a client that logs it with a port', async () => {
    const record = {
      CreationTime: '2024-01-01T00:00:00',
      Operation: 'FileDownloaded',
      Workload: 'SharePoint',
      UserId: 'x@contoso.com',
      ClientIP: '[2001:db8::5]:443',
      ResultStatus: 'Failed',
    };
    const { events } = await ingestText(m365Audit, JSON.stringify(record));
    expect(events[0]).toMatchObject({ src: { ip: '2001:db8::5' }, status: 'failure' });
  });
});
