/// <reference lib="dom" />
/**
 * The query bar: the query input with field-name completion, the saved searches, and the
 * syntax help. Submitting calls `onSubmit` with the query text.
 */
import { ApiError, getJson, postJson } from './api.ts';
import { button, h, on, replace } from './dom.ts';
import { errorText } from './errors.ts';
import type { FieldHelp, SavedSearch } from './types.ts';

/** The word being typed before the caret, and where it starts. */
export function wordAtCaret(text: string, caret: number): { word: string; start: number } {
  let start = caret;
  while (start > 0 && !/[\s()]/.test(text[start - 1] as string)) start -= 1;
  let word = text.slice(start, caret);
  if (word.startsWith('-')) {
    word = word.slice(1);
    start += 1;
  }
  return { word, start };
}

/** Field names that complete a word: those it begins, while it has no `:` yet. */
export function completions(fields: readonly FieldHelp[], word: string): FieldHelp[] {
  if (word.length === 0 || /[:<>"]/.test(word)) return [];
  const prefix = word.toLowerCase();
  return fields.filter((field) => field.name.toLowerCase().startsWith(prefix)).slice(0, 12);
}

const SYNTAX_HELP = [
  'word: message contains word',
  'field:value, field:prefix*, field:"exact text"',
  'time:2024-05-01, time>=2024-05-01T10:00, time:A..B',
  'src.ip:203.0.113.0/24, src.port:1..1024',
  'AND, OR, NOT, -term, ( … )',
  'tag:suspicious, star:true, rule:<rule id>',
];

export interface QueryBar {
  element: HTMLElement;
  setQuery(query: string): void;
}

export async function createQueryBar(onSubmit: (query: string) => void): Promise<QueryBar> {
  const fields = await getJson<FieldHelp[]>('/api/fields');
  const input = h('input', {
    type: 'search',
    id: 'query',
    placeholder: 'query, such as api.operation:CreateAccessKey AND NOT status:success',
    'aria-label': 'query',
    'data-testid': 'query',
  });
  input.autocomplete = 'off';
  input.spellcheck = false;
  const list = h('ul', { class: 'completions', role: 'listbox', 'data-testid': 'completions' });
  const message = h('p', { class: 'error', role: 'alert', 'data-testid': 'query-error' });
  let choices: FieldHelp[] = [];
  let chosen = 0;

  const showChoices = () => {
    const { word } = wordAtCaret(input.value, input.selectionStart ?? input.value.length);
    choices = completions(fields, word);
    chosen = 0;
    replace(
      list,
      ...choices.map((field, index) =>
        on(
          h(
            'li',
            { role: 'option', class: index === chosen ? 'chosen' : '', 'data-field': field.name },
            h('b', {}, field.name),
            ' ',
            field.help,
          ),
          'mousedown',
          (event) => {
            event.preventDefault();
            complete(field);
          },
        ),
      ),
    );
  };
  const complete = (field: FieldHelp) => {
    const caret = input.selectionStart ?? input.value.length;
    const { start } = wordAtCaret(input.value, caret);
    input.value = `${input.value.slice(0, start)}${field.name}:${input.value.slice(caret)}`;
    const at = start + field.name.length + 1;
    input.setSelectionRange(at, at);
    choices = [];
    replace(list);
  };

  on(input, 'input', showChoices);
  on(input, 'blur', () => replace(list));
  on(input, 'keydown', (event) => {
    const key = (event as KeyboardEvent).key;
    if (choices.length > 0 && (key === 'Tab' || key === 'Enter')) {
      event.preventDefault();
      complete(choices[chosen] as FieldHelp);
    } else if (choices.length > 0 && (key === 'ArrowDown' || key === 'ArrowUp')) {
      event.preventDefault();
      chosen = (chosen + (key === 'ArrowDown' ? 1 : choices.length - 1)) % choices.length;
      list.querySelectorAll('li').forEach((item, index) => {
        item.className = index === chosen ? 'chosen' : '';
      });
    } else if (key === 'Enter') {
      onSubmit(input.value);
    } else if (key === 'Escape') {
      choices = [];
      replace(list);
    }
  });

  const saved = h('select', { 'aria-label': 'saved searches', 'data-testid': 'saved-searches' });
  const loadSaved = async () => {
    const searches = await getJson<SavedSearch[]>('/api/searches');
    replace(
      saved,
      h('option', { value: '' }, 'saved searches…'),
      ...searches.map((search) =>
        h('option', { value: search.query, title: `${search.actor}, ${search.time}` }, search.name),
      ),
    );
  };
  on(saved, 'change', () => {
    const query = saved.value;
    // Back to the prompt, so choosing the same search again runs it again.
    saved.value = '';
    if (query !== '') {
      input.value = query;
      onSubmit(query);
    }
  });
  const name = h('input', {
    type: 'text',
    placeholder: 'name',
    'aria-label': 'search name',
    'data-testid': 'search-name',
  });
  const save = button('Save search', () => {
    if (name.value.trim() === '') {
      replace(message, 'name the search before saving it');
      return;
    }
    saveAs(false);
  });
  // The server rejects a name already taken with 409; the analyst may then replace that search.
  const saveAs = (replaceExisting: boolean) => {
    postJson('/api/searches', { name: name.value, query: input.value, replace: replaceExisting })
      .then(() => {
        name.value = '';
        replace(message);
        return loadSaved();
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 409) {
          replace(
            message,
            `A saved search is named "${name.value.trim()}". `,
            button('Replace it', () => saveAs(true), { 'data-testid': 'replace-search' }),
          );
          return;
        }
        replace(message, errorText(error));
      });
  };
  await loadSaved();

  const help = h(
    'details',
    { class: 'syntax' },
    h('summary', {}, 'syntax'),
    h('ul', {}, ...SYNTAX_HELP.map((line) => h('li', {}, line))),
  );
  const element = h(
    'div',
    { class: 'query-bar' },
    h('div', { class: 'query-input' }, input, list),
    button('Search', () => onSubmit(input.value), { 'data-testid': 'search' }),
    saved,
    name,
    save,
    help,
    message,
  );
  return {
    element,
    setQuery(query: string) {
      input.value = query;
    },
  };
}
