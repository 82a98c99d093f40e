/** The workbench's HTTP API: one handler per method and path, each calling a read or a mark. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_UID_LENGTH } from '../core/event.ts';
import type { CaseDb } from '../store/index.ts';
import { type ActionAuthor, audited } from './audit-actions.ts';
import type { CaseReader } from './case-reader.ts';
import type { EntityGraphSource } from './entities-api.ts';
import {
  HttpError,
  intParam,
  queryParam,
  REPORT_PREVIEW_POLICY,
  readJsonBody,
  sendBytes,
  sendJson,
  setSecurityHeaders,
} from './http.ts';
import {
  addMark,
  deleteSearch,
  listMarks,
  removeMark,
  savedSearches,
  saveSearch,
} from './marks-api.ts';
import { detections, overview } from './overview-api.ts';
import type { PageIndexCache } from './page-index.ts';
import { QUERY_FIELDS } from './query-fields.ts';
import { MAX_QUERY_LENGTH } from './query-parse.ts';
import { downloadDisposition, listReports, readReport } from './reports-api.ts';
import { scopeSummary } from './scope-api.ts';
import {
  eventDetail,
  eventPosition,
  histogram,
  type TimelineSelection,
  timelinePage,
  timelinePosition,
} from './timeline-api.ts';

/** What every handler can reach. */
export interface RouteContext {
  db: CaseDb;
  reader: CaseReader;
  analyst: string;
  entities: EntityGraphSource;
  pages: PageIndexCache;
}

type Handler = (
  context: RouteContext,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
) => Promise<void>;

/** The largest timeline page a request may ask for. */
export const MAX_PAGE = 500;
/** Maximum number of links the entity graph returns. */
export const MAX_GRAPH_EDGES = 150;

function selection(url: URL): TimelineSelection {
  const result: TimelineSelection = { query: queryParam(url, 'q', MAX_QUERY_LENGTH) };
  const since = queryParam(url, 'since', 40);
  const until = queryParam(url, 'until', 40);
  if (since !== '') result.since = since;
  if (until !== '') result.until = until;
  return result;
}

const json =
  (read: (context: RouteContext, url: URL) => Promise<unknown>): Handler =>
  async (context, _request, response, url) => {
    sendJson(response, 200, await read(context, url));
  };

const write =
  (change: (context: RouteContext, body: Record<string, unknown>) => Promise<void>): Handler =>
  async (context, request, response) => {
    await change(context, await readJsonBody(request));
    // A mark can change what a tag: or star: selection contains.
    await context.pages.clear(context.reader);
    sendJson(response, 200, { ok: true });
  };

const author = (context: RouteContext): ActionAuthor => ({
  caseDir: context.db.caseDir,
  analyst: context.analyst,
});

// The options of a timeline selection that the audit trail records.
const selectionOptions = (selected: TimelineSelection) => ({
  query: selected.query,
  ...(selected.since === undefined ? {} : { since: selected.since }),
  ...(selected.until === undefined ? {} : { until: selected.until }),
});

// A search is recorded once, when its first page is read; the pages read while the analyst
// scrolls through its results are not.
async function searchPage(context: RouteContext, url: URL) {
  const selected = selection(url);
  const offset = intParam(url, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(url, 'limit', 100, 1, MAX_PAGE);
  const read = () => timelinePage(context.reader, selected, offset, limit, context.pages);
  if (offset > 0) return read();

  const action = { command: 'serve search', options: selectionOptions(selected) };
  return audited(author(context), action, read, (page) => page.total);
}

const markStore = (context: RouteContext) => ({
  db: context.db,
  reader: context.reader,
  analyst: context.analyst,
});

async function sendReport(
  context: RouteContext,
  response: ServerResponse,
  url: URL,
  download: boolean,
): Promise<void> {
  const name = queryParam(url, 'name', 255);
  const action = {
    command: download ? 'serve report download' : 'serve report view',
    options: { name },
  };
  const report = await audited(
    author(context),
    action,
    () => readReport(context.db.caseDir, name),
    () => 1,
  );
  if (download) {
    sendBytes(response, 200, report.type, report.body, {
      'Content-Disposition': downloadDisposition(report.file),
    });
    return;
  }
  if (report.file.preview === 'none') {
    throw new HttpError(415, 'no_preview', 'this report has no preview; download it');
  }
  // An HTML report is shown in a sandboxed frame without scripts; any other report as text.
  if (report.file.preview === 'html') setSecurityHeaders(response, REPORT_PREVIEW_POLICY);
  const type = report.file.preview === 'html' ? report.type : 'text/plain; charset=utf-8';
  sendBytes(response, 200, type, report.body);
}

/** Handlers keyed by `METHOD path`. */
export const ROUTES: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['GET /api/overview', json((context) => overview(context.db))],
  [
    'GET /api/fields',
    json(async () => QUERY_FIELDS.map(({ name, kind, help }) => ({ name, kind, help }))),
  ],
  ['GET /api/timeline', json(searchPage)],
  [
    'GET /api/timeline/position',
    json((context, url) => {
      const uid = queryParam(url, 'uid', MAX_UID_LENGTH);
      return uid === ''
        ? timelinePosition(context.reader, selection(url), queryParam(url, 'time', 40))
        : eventPosition(context.reader, selection(url), uid);
    }),
  ],
  ['GET /api/histogram', json((context, url) => histogram(context.reader, selection(url)))],
  [
    'GET /api/event',
    json((context, url) => {
      const uid = queryParam(url, 'uid', MAX_UID_LENGTH);
      const action = { command: 'serve event', options: { uid } };
      return audited(
        author(context),
        action,
        () => eventDetail(context.reader, uid),
        () => 1,
      );
    }),
  ],
  ['GET /api/detections', json((context) => detections(context.db))],
  [
    'GET /api/entities',
    json((context) =>
      audited(
        author(context),
        { command: 'serve entities', options: {} },
        () => context.entities.graph(context.reader, MAX_GRAPH_EDGES),
        (graph) => graph.edges.length,
      ),
    ),
  ],
  [
    'GET /api/scope',
    json((context, url) => {
      const kind = queryParam(url, 'kind', 20);
      const value = queryParam(url, 'value', 2000);
      return audited(
        author(context),
        { command: 'serve scope', options: { kind, value } },
        () => scopeSummary(context.db, kind, value),
        (scope) => scope.events,
      );
    }),
  ],
  ['GET /api/reports', json((context) => listReports(context.db.caseDir))],
  ['GET /api/searches', json((context) => savedSearches(context.reader))],
  ['GET /api/marks', json((context) => listMarks(context.reader))],
  [
    'GET /reports/view',
    async (context, _request, response, url) => sendReport(context, response, url, false),
  ],
  [
    'GET /reports/download',
    async (context, _request, response, url) => sendReport(context, response, url, true),
  ],
  ['POST /api/marks', write((context, body) => addMark(markStore(context), body))],
  ['POST /api/marks/remove', write((context, body) => removeMark(markStore(context), body))],
  ['POST /api/searches', write((context, body) => saveSearch(markStore(context), body))],
  ['POST /api/searches/remove', write((context, body) => deleteSearch(markStore(context), body))],
]);
