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
    'unrestricted',
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
    'unrestricted',
  );
}

export function renderError(title: string, message: string): string {
  return page(title, render(TEMPLATES.error, { title, message }), "'none'");
}

/** `fields` are hidden inputs already escaped by the caller. */
export function renderFormPost(action: string, fields: string): string {
  return page('Returning to the application', render(TEMPLATES.formPost, { action, fields }), 'unrestricted');
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
  return page('Sign out of idp?', render(TEMPLATES.logout, { requester, username: view.username, csrf: view.csrf, fields }), 'unrestricted');
}

export function renderLoggedOut(title: string, message: string): string {
  return page(title, render(TEMPLATES.loggedOut, { title, message }), "'none'");
}

/** The /device page (RFC 8628 §3.3): sign in, enter the code shown on the device, then allow or deny. */
export type DeviceView =
  | { step: 'signin'; csrf: string; userCode: string; username: string; error: string | null }
  | { step: 'code'; csrf: string; userCode: string; username: string; error: string | null }
  | { step: 'confirm'; csrf: string; userCode: string; username: string; clientName: string; scopes: { name: string; description: string }[] };

export function renderDevice(view: DeviceView): string {
  const error = 'error' in view && view.error ? `<p class="error" role="alert">${escapeHtml(view.error)}</p>` : '';
  const codeInput = (autofocus: boolean) =>
    `  <label for="user_code">Code shown on your device</label>
  <input id="user_code" name="user_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required value="${escapeHtml(view.userCode)}"${autofocus ? ' autofocus' : ''}>`;
  if (view.step === 'signin') {
    const fields = `${codeInput(false)}
  <label for="username">Username</label>
  <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${escapeHtml(view.username)}" autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>`;
    return page(
      'Connect a device',
      render(TEMPLATES.device, { heading: 'Connect a device', lead: 'Sign in to connect the device that showed you a code.', error, formClass: 'stack', csrf: view.csrf, fields, note: '' }),
      "'self'",
    );
  }
  const signedInAs = `<p class="muted">Signed in as ${escapeHtml(view.username)}.</p>`;
  if (view.step === 'code') {
    const fields = `${codeInput(true)}
  <button type="submit">Continue</button>`;
    return page(
      'Connect a device',
      render(TEMPLATES.device, { heading: 'Connect a device', lead: 'Enter the code shown on your device.', error, formClass: 'stack', csrf: view.csrf, fields, note: signedInAs }),
      "'self'",
    );
  }
  const scopes = view.scopes.map((scope) => `<li>${escapeHtml(scope.description)}</li>`).join('\n');
  const lead = `<strong>${escapeHtml(view.clientName)}</strong> on your device wants to:</p>\n<ul class="scopes">\n${scopes}\n</ul>\n<p class="muted">Only allow this if you started it on your device and it shows the code ${escapeHtml(view.userCode)}.`;
  const fields = `  <input type="hidden" name="user_code" value="${escapeHtml(view.userCode)}">
  <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
  <button type="submit" name="decision" value="allow">Allow</button>`;
  return page(
    'Allow access?',
    render(TEMPLATES.device, { heading: 'Allow access?', lead, error: '', formClass: 'actions', csrf: view.csrf, fields, note: signedInAs }),
    "'self'",
  );
}

export function renderDeviceDone(approved: boolean): string {
  const heading = approved ? 'Device connected' : 'Request denied';
  const message = approved ? 'You can return to your device; it will continue shortly.' : 'The device was not given access. You can close this page.';
  return page(heading, render(TEMPLATES.loggedOut, { title: heading, message }), "'none'");
}
