import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { errorMessage, fieldMessages } from "../api/errors";

export function Spinner() {
  const { t } = useTranslation();
  return (
    <p className="spinner" role="status" aria-live="polite">
      {t("common.loading")}
    </p>
  );
}

/** A failed request's message in the user's language (nothing when there is no error). */
export function ErrorText({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  const fields = fieldMessages(t, error);
  if (fields.length > 0) {
    return (
      <div className="error" role="alert">
        <p className="error">{t("errors.validation_error")}</p>
        <ul>
          {fields.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      </div>
    );
  }
  return (
    <p className="error" role="alert">
      {errorMessage(t, error)}
    </p>
  );
}

type ToastAction = { label: string; run: () => void };
type Toast = { id: number; message: string; action?: ToastAction };
type ToastApi = { show: (message: string, action?: ToastAction) => void };

const ToastContext = createContext<ToastApi>({ show: () => undefined });

export function useToast(): ToastApi {
  return useContext(ToastContext);
}

const TOAST_MS = 8000;

export function ToastProvider({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const [toast, setToast] = useState<Toast | null>(null);
  const serial = useRef(0);
  const show = useCallback((message: string, action?: ToastAction) => {
    serial.current += 1;
    setToast({ id: serial.current, message, ...(action ? { action } : {}) });
  }, []);
  const api = useMemo(() => ({ show }), [show]);
  useEffect(() => {
    if (!toast) return;
    const timer = window.setTimeout(() => setToast(null), TOAST_MS);
    return () => window.clearTimeout(timer);
  }, [toast]);
  return (
    <ToastContext.Provider value={api}>
      {children}
      <div className="toast-area" aria-live="polite">
        {toast && (
          <div className="toast" role="status" key={toast.id}>
            <span>{toast.message}</span>
            {toast.action && (
              <button
                type="button"
                className="link"
                onClick={() => {
                  toast.action?.run();
                  setToast(null);
                }}
              >
                {toast.action.label}
              </button>
            )}
            <button
              type="button"
              className="icon"
              aria-label={t("common.close")}
              onClick={() => setToast(null)}
            >
              ×
            </button>
          </div>
        )}
      </div>
    </ToastContext.Provider>
  );
}
