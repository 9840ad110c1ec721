import { page, render } from './render.ts';
import { TEMPLATES } from './templates.ts';

export interface HomeView {
  issuer: string;
  discoveryUrl: string;
  jwksUrl: string;
  version: string;
}

export function renderHome(view: HomeView): string {
  return page('idp', render(TEMPLATES.home, { ...view }), "'none'");
}
