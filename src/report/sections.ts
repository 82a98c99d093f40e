import { escapeMarkdown, sanitizeTerminalLine } from '../core/escape.ts';
import type { CaseDb } from '../store/case-db.ts';
import { escapeText, htmlTable } from './html-page.ts';

/** One block of a report section. Renderers escape every string, so builders pass raw text. */
export type SectionBlock =
  | { kind: 'text'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; columns: string[]; rows: (string | number | null)[][] };

/**
 * A section that an analysis adds to the summary report (`report.md`, `report.html`,
 * `report.json`) and, with `summary` lines, to the terminal summary.
 */
export interface ReportSection {
  id: string;
  title: string;
  blocks: SectionBlock[];
  /** Lines for the terminal summary; the section is left out of it without them. */
  summary?: string[];
  /** Machine-readable content for `report.json`. */
  data?: unknown;
}

/** Builds one section from the case store, or returns `null` to leave it out. */
export type SectionBuilder = (db: CaseDb) => Promise<ReportSection | null>;

/**
 * The section builders of the summary report, in the order the sections appear, after the log
 * coverage. An analysis adds its section with one line here.
 */
export const SECTION_BUILDERS: readonly SectionBuilder[] = [];

/**
 * Runs each builder. A builder that throws yields a section saying that it failed, with the
 * error's message, so one broken analysis does not stop the report.
 */
export async function buildSections(
  db: CaseDb,
  builders: readonly SectionBuilder[] = SECTION_BUILDERS,
): Promise<ReportSection[]> {
  const sections: ReportSection[] = [];
  for (const [index, build] of builders.entries()) {
    try {
      const section = await build(db);
      if (section !== null) sections.push(section);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      sections.push({
        id: `section-${index + 1}`,
        title: `Section ${index + 1} failed`,
        blocks: [{ kind: 'text', text: `This section could not be built: ${message}` }],
        summary: [`A report section failed: ${message}`],
      });
    }
  }

  return sections;
}

const md = (value: string | number | null): string =>
  value === null ? '-' : escapeMarkdown(sanitizeTerminalLine(String(value)));

function blockMarkdown(block: SectionBlock): string[] {
  switch (block.kind) {
    case 'text':
      return [md(block.text), ''];
    case 'list':
      return [...block.items.map((item) => `- ${md(item)}`), ''];
    case 'table':
      return [
        `| ${block.columns.map(md).join(' | ')} |`,
        `|${block.columns.map(() => ' --- ').join('|')}|`,
        ...block.rows.map((row) => `| ${row.map(md).join(' | ')} |`),
        '',
      ];
  }
}

/** Renders sections as Markdown lines, every value escaped. */
export function sectionsMarkdown(sections: readonly ReportSection[]): string[] {
  return sections.flatMap((section) => [
    `## ${md(section.title)}`,
    '',
    ...section.blocks.flatMap(blockMarkdown),
  ]);
}

function blockHtml(block: SectionBlock): string {
  switch (block.kind) {
    case 'text':
      return `<p>${escapeText(block.text)}</p>`;
    case 'list':
      return `<ul>${block.items.map((item) => `<li>${escapeText(item)}</li>`).join('')}</ul>`;
    case 'table':
      return htmlTable(block.columns, block.rows);
  }
}

/** Renders sections as HTML, every value escaped. */
export function sectionsHtml(sections: readonly ReportSection[]): string {
  return sections
    .map(
      (section) =>
        `<h2>${escapeText(section.title)}</h2>\n${section.blocks.map(blockHtml).join('\n')}\n`,
    )
    .join('');
}

/** Renders the terminal lines of the sections that have any, each sanitized. */
export function sectionsSummary(sections: readonly ReportSection[]): string[] {
  return sections.flatMap((section) =>
    section.summary === undefined
      ? []
      : [
          sanitizeTerminalLine(section.title),
          ...section.summary.map((line) => `  ${sanitizeTerminalLine(line)}`),
          '',
        ],
  );
}
