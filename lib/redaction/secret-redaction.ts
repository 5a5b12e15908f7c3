/**
 * Credentials that indicator errors and details commonly carry, removed before a probe body is served
 * or a line is logged: a database client's error often quotes its connection string
 * (`connect ECONNREFUSED postgres://orders_admin:S3cr3t@db.internal:5432/orders`).
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#]*)(:[^\s@/?#]*)?@/gi;
const KEY_VALUE = /\b(password|passwd|pwd|secret|client_secret|token|access_token|api[-_]?key|access[-_]?key)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s;,&"']+)/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]{8,}=*/g;
/** Detail keys whose values are never shown. */
const SECRET_KEY = /pass(word|wd)?$|^pwd$|secret|token|api[-_]?key|access[-_]?key|authorization|credential|private[-_]?key/i;

/** The mark that replaces a secret. */
export const REDACTED = '***';

/**
 * Removes credentials from a text: the password of a URL's user info (the user name stays, as it helps
 * to debug), `password=…`/`token: …` pairs (also in query strings and ADO-style connection strings), and
 * `Bearer`/`Basic` credentials.
 *
 * @example
 * redactSecrets('connect ECONNREFUSED postgres://app:pw@db:5432/x') // 'connect ECONNREFUSED postgres://app:***@db:5432/x'
 */
export function redactSecrets(text: string): string {
  if (!text.includes('@') && !text.includes('=') && !text.includes(':') && !/Bearer|Basic/.test(text)) return text;
  return text
    .replace(URL_USERINFO, (_match, scheme: string, user: string, password: string | undefined) =>
      password === undefined ? `${scheme}${user === '' ? '' : REDACTED}@` : `${scheme}${user}:${REDACTED}@`,
    )
    .replace(KEY_VALUE, (_match, key: string, separator: string) => `${key}${separator}${REDACTED}`)
    .replace(BEARER, (_match, scheme: string) => `${scheme} ${REDACTED}`);
}

/** Whether a details key names a secret (`password`, `dbPassword`, `apiKey`, `authorization`, `token`, …). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}
