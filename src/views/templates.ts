// Every page template, embedded as text. Bun's types declare *.html imports as HTML bundles; with
// `type: 'text'` they are plain strings, hence the single cast here.
import homeHtml from '../../templates/home.html' with { type: 'text' };
import layoutHtml from '../../templates/layout.html' with { type: 'text' };

const text = (template: unknown): string => template as string;

export const TEMPLATES = {
  layout: text(layoutHtml),
  home: text(homeHtml),
} as const;
