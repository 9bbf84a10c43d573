/**
 * Every entry of a keyset-paged list: asks for the page after the last entry it has, until a
 * page comes back shorter than `size` (the last one).
 */
export async function allPages<T>(
  page: (after: T | undefined) => Promise<T[]>,
  size: number,
): Promise<T[]> {
  const entries: T[] = [];
  for (;;) {
    const next = await page(entries.at(-1));
    entries.push(...next);
    if (next.length < size) return entries;
  }
}
