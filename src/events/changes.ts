// The names of what an update changed, for client.updated and user.updated: names only, never values.

/**
 * Keys whose values differ between `before` and `after`, sorted; a nested plain object is compared key
 * by key (`attributes.department`), arrays and other values as a whole. `ignore` names keys to skip.
 */
export function changedFields(before: object, after: object, ignore: readonly string[] = [], prefix = ''): string[] {
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  const changed: string[] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (ignore.includes(key)) continue;
    const [x, y] = [a[key], b[key]];
    if (isPlainObject(x) && isPlainObject(y)) changed.push(...changedFields(x, y, [], `${prefix}${key}.`));
    else if (JSON.stringify(x) !== JSON.stringify(y)) changed.push(`${prefix}${key}`);
  }
  return changed.sort();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
