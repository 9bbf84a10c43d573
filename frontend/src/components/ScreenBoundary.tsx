import { Component, type ReactNode } from "react";
import { useTranslation } from "react-i18next";

function ScreenUnavailable() {
  const { t } = useTranslation();
  return (
    <div className="card" role="alert">
      <p>{t("common.screenUnavailable")}</p>
      {/* React.lazy keeps a failed import for good: only a reload tries the network again. */}
      <button type="button" onClick={() => window.location.reload()}>
        {t("common.retry")}
      </button>
    </div>
  );
}

/** Keeps the frame (navigation, banner) when a screen fails, typically a screen's code that
 * could not be downloaded offline, instead of React unmounting the whole app. */
export class ScreenBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render() {
    return this.state.failed ? <ScreenUnavailable /> : this.props.children;
  }
}
