import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { ApiError, onReachability } from "./api/client";
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
// "online" event changes nothing for it. So what failed for want of a server (unreachable or a
// gateway error, not a 4xx answer) is fetched again here: when the device is back online, as
// soon as any request reaches the server again, and every 15 s while none does.
const refetchFailed = () =>
  void queryClient.refetchQueries({
    predicate: ({ state }) =>
      state.status === "error" && state.error instanceof ApiError && (state.error.status === 0 || state.error.status >= 500),
  });
window.addEventListener("online", refetchFailed);
let down = false;
let retry: number | undefined;
onReachability((reachable) => {
  window.clearTimeout(retry);
  if (!reachable) retry = window.setTimeout(refetchFailed, 15_000);
  else if (down) refetchFailed();
  down = !reachable;
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
