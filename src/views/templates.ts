// Every page template, embedded as text. Bun's types declare *.html imports as HTML bundles; with
// `type: 'text'` they are plain strings, hence the single cast here.
import consentHtml from '../../templates/consent.html' with { type: 'text' };
import deviceHtml from '../../templates/device.html' with { type: 'text' };
import errorHtml from '../../templates/error.html' with { type: 'text' };
import formPostHtml from '../../templates/form_post.html' with { type: 'text' };
import homeHtml from '../../templates/home.html' with { type: 'text' };
import layoutHtml from '../../templates/layout.html' with { type: 'text' };
import loginHtml from '../../templates/login.html' with { type: 'text' };
import loggedOutHtml from '../../templates/logged_out.html' with { type: 'text' };
import logoutHtml from '../../templates/logout.html' with { type: 'text' };

const text = (template: unknown): string => template as string;

export const TEMPLATES = {
  layout: text(layoutHtml),
  home: text(homeHtml),
  login: text(loginHtml),
  consent: text(consentHtml),
  device: text(deviceHtml),
  error: text(errorHtml),
  formPost: text(formPostHtml),
  logout: text(logoutHtml),
  loggedOut: text(loggedOutHtml),
} as const;
