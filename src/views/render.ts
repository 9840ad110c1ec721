// Only this module turns values into HTML: `{{name}}` is escaped, `{{{name}}}` inserts trusted HTML
// produced by another render call. Templates are embedded in the binary at build time.
import { TEMPLATES } from './templates.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] as string);
}

export function render(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\{)?\s*([a-zA-Z]+)\s*\}?\}\}/g, (_match, raw: string | undefined, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template value ${name} is missing`);
    return raw ? value : escapeHtml(value);
  });
}

export function page(title: string, content: string): string {
  return render(TEMPLATES.layout, { title, content });
}
