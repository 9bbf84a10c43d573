import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { startTransition, StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { ApiError, onReachability } from "./api/client";
import { householdsQuery, meQuery } from "./api/queries";
import App from "./App";
import { uiLanguage } from "./components/Layout";
import i18n from "./i18n";
import { prefetchToday } from "./features/today/TodayPage";
import { formatDay, todayIn } from "./lib/dates";
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

// A page load starts the first screen's reads together (the session, the households, and Today's
// list) instead of one after another as the screens mount; the signed-out pages need none, and
// offline the screens' own reads are enough to find out.
if (navigator.onLine && !/^\/(signup|forgot-password|reset-password)\b/.test(location.pathname)) {
  const path = location.pathname;
  const today = /^\/h\/(\d+)(\/today)?\/?$/.exec(path);
  if (today) prefetchToday(queryClient, Number(today[1]));
  // The UI's language is set as soon as both are known, before the screen renders their data
  // (React Query hands it over a task later): the screen is rendered once, not once per language.
  Promise.all([queryClient.fetchQuery(meQuery()), queryClient.fetchQuery(householdsQuery())])
    .then(([me, households]) => {
      const language = uiLanguage(me, households, path);
      void i18n.changeLanguage(language);
      // The first date in a time zone or a language loads its rules from ICU: tens of
      // milliseconds on a phone, spent here rather than inside the first render of the list.
      const today = todayIn("UTC");
      for (const household of households) todayIn(household.time_zone);
      formatDay(today, language);
    })
    .catch(() => undefined);
}

const root = createRoot(document.getElementById("root") as HTMLElement);
// A transition: React renders the first frame in slices, yielding to the browser, instead of
// one long task right after the code is evaluated (Lighthouse on Today: total blocking time
// from 26-57 ms to 0-12 ms, medians of five).
startTransition(() =>
  root.render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </StrictMode>,
  ),
);

if ("serviceWorker" in navigator && import.meta.env.PROD) {
  window.addEventListener("load", () => {
    void navigator.serviceWorker.register("/sw.js").catch(() => undefined);
    // The worker fetches every screen's code into its cache (not the page: no download or
    // evaluation competes with the first screen), so that each tab opens offline too, not only
    // the ones visited before. Asked on every load: a new build brings new file names.
    void navigator.serviceWorker.ready.then((registration) => registration.active?.postMessage("precache"));
  });
}
