// JSON columns: a damaged value is reported as a store error naming the table, never a crash.
import { StoreError } from '../store.ts';

export function parseJsonColumn<T>(text: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new StoreError('unreadable', `The stored ${where} is damaged (not JSON).`);
  }
}
