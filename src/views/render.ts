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

/**
 * Where the page's forms may be submitted (CSP form-action), declared by each page because only the
 * page knows where its forms lead. Browsers also check every redirect that follows a submission, so a
 * form whose answer ends in a redirect to a client (login, consent, logout, form_post: the client may
 * redirect further, to any origin) is left unrestricted; the rest of the policy still applies.
 */
export type FormAction = "'none'" | "'self'" | 'unrestricted';

export function page(title: string, content: string, formAction: FormAction): string {
  // A <meta> policy adds to the header's (both are enforced); form-action is allowed in <meta>.
  const policy = formAction === 'unrestricted' ? '' : `<meta http-equiv="Content-Security-Policy" content="form-action ${formAction}">\n`;
  return render(TEMPLATES.layout, { title, content, policy });
}
