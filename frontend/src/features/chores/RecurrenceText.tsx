import { useTranslation } from "react-i18next";
import type { Chore } from "../../api/client";
import { weekdayNames } from "../../lib/dates";

/** "Every 2 weeks", "Mon, Thu", "On day 15 of the month", "Once". */
export function RecurrenceText({ recurrence }: { recurrence: Chore["recurrence"] }) {
  const { t, i18n } = useTranslation();
  const names = weekdayNames(i18n.language);
  let text: string;
  switch (recurrence.kind) {
    case "once":
      text = t("recurrence.onceShort");
      break;
    case "interval":
      // "Every week" / "毎週" for 1 (Japanese has no plural forms to tell 1 apart).
      text =
        recurrence.every === 1
          ? t(`recurrence.each.${recurrence.unit}`)
          : t(`recurrence.every_${recurrence.unit}`, { count: recurrence.every });
      break;
    case "weekly":
      text = t("recurrence.weeklyOn", {
        days: recurrence.weekdays.map((d) => names[d - 1]).join(", "),
      });
      break;
    case "monthly":
      text = t("recurrence.monthlyOn", { day: recurrence.month_day ?? 1 });
      break;
  }
  return <span>{text}</span>;
}
