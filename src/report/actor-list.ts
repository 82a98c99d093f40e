import { shownValue } from './shown-value.ts';

/**
 * The actors of a finding as the human-readable reports show them. A rule that matched the
 * failed sign-ins of a password spray has one actor per name tried, each chosen by the attacker
 * and up to 16 KiB long, so the reports name only the first few; `findings.json` keeps all.
 */

/** Actors that the Markdown, HTML, PDF and terminal reports name per finding. */
export const SHOWN_FINDING_ACTORS = 10;

/** Joins the first `SHOWN_FINDING_ACTORS` actors, then counts the others; null for none. */
export function actorListText(actors: readonly string[]): string | null {
  if (actors.length === 0) return null;

  const shown = actors.slice(0, SHOWN_FINDING_ACTORS).map(shownValue).join(', ');
  const others = actors.length - SHOWN_FINDING_ACTORS;
  return others > 0 ? `${shown} and ${others} more (see findings.json)` : shown;
}
