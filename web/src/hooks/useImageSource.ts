import { useEffect, useState } from "react";
import { fetchImage, isAbort, isApiUrl } from "../api/client";
import { useAuth } from "./useAuth";

/**
 * What an `<img>` loads for `url`. Without an API key, or for a URL outside the API, the
 * URL itself. With a key, an `<img>` could not send it, so the image is fetched with the
 * `Authorization` header and shown from an object URL (undefined until it arrives, and
 * when it fails); the object URL is revoked when the image changes or goes.
 */
export function useImageSource(url: string): string | undefined {
  const { key } = useAuth();
  const authorized = key !== null && isApiUrl(url);
  const [loaded, setLoaded] = useState<{ url: string; key: string; src: string } | null>(null);
  useEffect(() => {
    if (!authorized) return;
    const controller = new AbortController();
    let objectUrl: string | null = null;
    fetchImage(url, { signal: controller.signal }).then(
      (blob) => {
        if (controller.signal.aborted) return;
        objectUrl = URL.createObjectURL(blob);
        setLoaded({ url, key, src: objectUrl });
      },
      (error: unknown) => {
        if (!isAbort(error) && !controller.signal.aborted) setLoaded(null);
      },
    );
    return () => {
      controller.abort();
      if (objectUrl !== null) URL.revokeObjectURL(objectUrl);
    };
  }, [url, key, authorized]);
  if (!authorized) return url;
  return loaded && loaded.url === url && loaded.key === key ? loaded.src : undefined;
}
