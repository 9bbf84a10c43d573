import { useEffect, useState } from "react";
import { onReachability } from "../api/client";

/** Whether the device is online and the server answered the last request. */
export function useConnection(): { online: boolean; serverReachable: boolean } {
  const [online, setOnline] = useState(() => navigator.onLine);
  const [serverReachable, setServerReachable] = useState(true);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    const unsubscribe = onReachability(setServerReachable);
    return () => {
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
      unsubscribe();
    };
  }, []);
  return { online, serverReachable };
}
