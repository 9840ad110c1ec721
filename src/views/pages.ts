// One typed render function per page. Values are escaped by render(); the few raw fragments are
// built here from escaped values.
import { escapeHtml, page, render } from './render.ts';
import { TEMPLATES } from './templates.ts';

export interface LoginView {
  clientName: string;
  interaction: string;
  csrf: string;
  username: string;
  error: string | null;
}

export function renderLogin(view: LoginView): string {
  return page(
    'Sign in',
    render(TEMPLATES.login, {
      clientName: view.clientName,
      interaction: view.interaction,
      csrf: view.csrf,
      username: view.username,
      error: view.error ? `<p class="error" role="alert">${escapeHtml(view.error)}</p>` : '',
      usernameFocus: view.username ? '' : 'autofocus',
      passwordFocus: view.username ? 'autofocus' : '',
    }),
  );
}

export interface ConsentView {
  clientName: string;
  interaction: string;
  csrf: string;
  username: string;
  scopes: { name: string; description: string }[];
}

export function renderConsent(view: ConsentView): string {
  const scopes = view.scopes.map((scope) => `<li>${escapeHtml(scope.description)}</li>`).join('\n');
  return page(
    'Allow access?',
    render(TEMPLATES.consent, {
      clientName: view.clientName,
      interaction: view.interaction,
      csrf: view.csrf,
      username: view.username,
      scopes,
    }),
  );
}

export function renderError(title: string, message: string): string {
  return page(title, render(TEMPLATES.error, { title, message }));
}

/** `fields` are hidden inputs already escaped by the caller. */
export function renderFormPost(action: string, fields: string): string {
  return page('Returning to the application', render(TEMPLATES.formPost, { action, fields }));
}

export interface LogoutView {
  /** The application asking, when the request identified one. */
  clientName: string | null;
  username: string;
  csrf: string;
  /** The validated logout parameters, posted back as hidden fields. */
  fields: Record<string, string>;
}

export function renderLogout(view: LogoutView): string {
  const requester = view.clientName
    ? `<strong>${escapeHtml(view.clientName)}</strong> asks to sign you out.`
    : 'An application asks to sign you out.';
  const fields = Object.entries(view.fields)
    .map(([name, value]) => `  <input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return page('Sign out of idp?', render(TEMPLATES.logout, { requester, username: view.username, csrf: view.csrf, fields }));
}

export function renderLoggedOut(title: string, message: string): string {
  return page(title, render(TEMPLATES.loggedOut, { title, message }));
}
