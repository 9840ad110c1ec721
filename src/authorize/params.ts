// Reads the parameters of a GET query or a POST form exactly once. RFC 6749 §3.1: parameters sent
// more than once are an error (reported once the redirect URI is known), and an empty value counts
// as absent.
import { isFormRequest } from '../http/form.ts';

export interface Params {
  values: Map<string, string>;
  repeated: string[];
}

export function parseParams(search: URLSearchParams): Params {
  const values = new Map<string, string>();
  const seen = new Set<string>();
  const repeated: string[] = [];
  for (const [name, value] of search) {
    if (seen.has(name)) repeated.push(name);
    seen.add(name);
    if (value !== '' && !values.has(name)) values.set(name, value);
  }
  return { values, repeated };
}

/** The query of a GET, or the form body of a POST (OIDC Core §3.1.2.1 wants both). */
export async function requestParams(request: Request): Promise<Params> {
  if (request.method === 'POST') {
    return parseParams(new URLSearchParams(isFormRequest(request) ? await request.text() : ''));
  }
  return parseParams(new URL(request.url).searchParams);
}
