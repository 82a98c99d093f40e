/// <reference lib="dom" />
/**
 * The one way the app builds DOM. Text goes in as text nodes and attributes through
 * `setAttribute` from a fixed set of names, so log content can never become markup: nothing in
 * the app assigns `innerHTML`.
 */
import { sanitizeTerminal } from '../core/escape.ts';

/** A child of an element: text, another node, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** Attributes `h` sets; event handlers go through `on`. */
export interface Attributes {
  class?: string;
  id?: string;
  title?: string;
  href?: string;
  type?: string;
  placeholder?: string;
  value?: string;
  role?: string;
  'aria-label'?: string;
  'data-testid'?: string;
  'data-uid'?: string;
  'data-field'?: string;
  sandbox?: string;
  src?: string;
  colspan?: string;
  download?: string;
}

const SAFE_URL = /^(\/|#)/;

/** Creates an element with attributes and children; text children become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    // Links and frames only ever point into this app, whatever value the data gives.
    if ((name === 'href' || name === 'src') && !SAFE_URL.test(value)) continue;
    element.setAttribute(name, value);
  }
  append(element, ...children);
  return element;
}

/**
 * Appends children to an element. Text children become text nodes, with control characters
 * (such as the ESC of ANSI sequences) and characters that reorder text (bidirectional
 * overrides) shown as visible escapes, as in the terminal.
 */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    const node = child instanceof Node ? child : document.createTextNode(visible(String(child)));
    parent.appendChild(node);
  }
}

/** Returns text as the app shows it: control and reordering characters as visible escapes. */
export function visible(text: string): string {
  return sanitizeTerminal(text);
}

/** Replaces every child of an element. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** Adds an event listener and returns the element, for building in one expression. */
export function on<E extends HTMLElement>(
  element: E,
  type: string,
  listener: (event: Event) => void,
): E {
  element.addEventListener(type, listener);
  return element;
}

/** Creates a button that runs `action` when clicked. */
export function button(label: string, action: () => void, attributes: Attributes = {}) {
  return on(h('button', { type: 'button', ...attributes }, label), 'click', action);
}

/** Formats a count with its noun, such as `1 event` or `1,250 events`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en')} ${count === 1 ? singular : pluralForm}`;
}

/** Formats an ISO time as `YYYY-MM-DD HH:MM:SS.mmm` UTC. */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '';
  return iso.replace('T', ' ').replace('Z', '');
}
