import type { TFunction } from "i18next";
import type { Catalog } from "./en";

/** A catalog's lookup with i18next's `{{name}}` interpolation, for the login page: i18next
 * itself is most of a small page's code, and that page needs neither plurals nor formats. */
export function translator(catalog: Catalog): TFunction {
  const t = (key: string, values: Record<string, unknown> = {}): string => {
    let entry: unknown = catalog;
    for (const part of key.split(".")) entry = (entry as Record<string, unknown> | undefined)?.[part];
    if (typeof entry !== "string") return key;
    return entry.replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(values[name] ?? ""));
  };
  return t as unknown as TFunction;
}
