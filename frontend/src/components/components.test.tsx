import { act, fireEvent, render, screen } from "@testing-library/react";
import i18n from "i18next";
import { ApiError, type Chore } from "../api/client";
import { BarChart } from "../features/stats/BarChart";
import { RecurrenceText } from "../features/chores/RecurrenceText";
import { ErrorText, ToastProvider, useToast } from "./Feedback";

beforeEach(async () => {
  await i18n.changeLanguage("ja");
});

function ShowToast({ onUndo }: { onUndo: () => void }) {
  const toast = useToast();
  return (
    <button type="button" onClick={() => toast.show("「ゴミ出し」を完了しました。", { label: "元に戻す", run: onUndo })}>
      go
    </button>
  );
}

describe("ToastProvider", () => {
  it("offers undo once and disappears after it is used", () => {
    const undo = vi.fn();
    render(
      <ToastProvider>
        <ShowToast onUndo={undo} />
      </ToastProvider>,
    );
    fireEvent.click(screen.getByText("go"));
    expect(screen.getByRole("status").textContent).toContain("「ゴミ出し」を完了しました。");
    fireEvent.click(screen.getByRole("button", { name: "元に戻す" }));
    expect(undo).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole("status")).toBeNull();
  });

  it("goes away by itself", () => {
    vi.useFakeTimers();
    try {
      render(
        <ToastProvider>
          <ShowToast onUndo={() => undefined} />
        </ToastProvider>,
      );
      fireEvent.click(screen.getByText("go"));
      expect(screen.getByRole("status")).toBeTruthy();
      act(() => vi.advanceTimersByTime(8001));
      expect(screen.queryByRole("status")).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("ErrorText", () => {
  it("shows an API error in the user's language", async () => {
    render(<ErrorText error={new ApiError(403, { detail: "Viewers cannot change anything", code: "forbidden" })} />);
    expect(screen.getByRole("alert").textContent).toContain("この操作は許可されていません。");
    await act(() => i18n.changeLanguage("en"));
    expect(screen.getByRole("alert").textContent).toContain("You are not allowed to do this.");
  });

  it("renders nothing without an error", () => {
    const { container } = render(<ErrorText error={null} />);
    expect(container.innerHTML).toBe("");
  });
});

describe("BarChart", () => {
  it("draws bars proportional to the values, labelled", () => {
    const { container } = render(
      <BarChart title="回数" bars={[{ label: "Alice", value: 2 }, { label: "Bob", value: 4 }, { label: "Cy", value: 0 }]} />,
    );
    const shares = [...container.querySelectorAll(".chart-bar")].map((bar) => Number(bar.getAttribute("data-share")));
    expect(shares).toEqual([0.5, 1, 0]);
    expect(screen.getByRole("img", { name: "回数" }).textContent).toContain("Bob");
  });
});

describe("RecurrenceText", () => {
  type Rule = Chore["recurrence"];
  const rule: Rule = { kind: "interval", every: 1, unit: "week", weekdays: [], month_day: null, anchor: "schedule" };
  it.each([
    ["ja", rule, "毎週"],
    ["ja", { ...rule, every: 3, unit: "day" }, "3日ごと"],
    ["en", { ...rule, every: 2, unit: "month" }, "Every 2 months"],
    ["en", { ...rule, kind: "weekly", unit: "day", weekdays: [1, 4] }, "Every Mon, Thu"],
    ["ja", { ...rule, kind: "monthly", unit: "day", month_day: 15 }, "毎月15日"],
  ] as [string, Rule, string][])("in %s: %o is %s", async (language, recurrence, text) => {
    await i18n.changeLanguage(language);
    render(<RecurrenceText recurrence={recurrence} />);
    expect(screen.getByText(text)).toBeTruthy();
  });
});
