/** "08:00:00" (a time of day as the API sends it) as "08:00" (an <input type="time">'s value,
 * and how it is shown). */
export function clock(value: string | null | undefined): string {
  return value ? value.slice(0, 5) : "";
}
