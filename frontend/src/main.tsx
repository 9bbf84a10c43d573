import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { ApiError } from "./api/client";
import App, { prefetchScreens } from "./App";
import "./i18n";
import { startSync } from "./offline/sync";
import "./styles.css";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Client errors (401, 404, ...) are answers, not hiccups: do not retry them.
      retry: (count, error) =>
        count < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      // An errored query is fetched again on reconnect or focus, not each time a screen that
      // reads it mounts (offline, the layout would otherwise remount and refetch in a loop).
      retryOnMount: false,
      refetchOnWindowFocus: true,
    },
  },
});

// React Query starts out "online" and only changes on events: after a reload while offline the
// "online" event changes nothing for it, so what failed meanwhile is fetched again here.
window.addEventListener("online", () => {
  void queryClient.refetchQueries({ predicate: (query) => query.state.status === "error" });
});

startSync(queryClient);

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);

if ("serviceWorker" in navigator && import.meta.env.PROD) {
  window.addEventListener("load", () => {
    void navigator.serviceWorker.register("/sw.js").catch(() => undefined);
    // Once the worker controls the page (it claims it when activated), so that it caches them.
    void navigator.serviceWorker.ready.then(() => {
      const idle = window.requestIdleCallback ?? ((run: () => void) => window.setTimeout(run, 2000));
      if (navigator.serviceWorker.controller) idle(prefetchScreens);
      else navigator.serviceWorker.addEventListener("controllerchange", () => idle(prefetchScreens), { once: true });
    });
  });
}
