/** The tab icon: a white padlock on green, small enough to inline in every page's `<head>`. */
export const faviconSvg =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0a7d38"/><rect x="9" y="14" width="14" height="11" rx="2" fill="#fff"/><path d="M12 14v-3a4 4 0 0 1 8 0v3" fill="none" stroke="#fff" stroke-width="2.5"/></svg>';

/** The same icon as a `data:` URL for `<link rel="icon">`: a page view asks the server for nothing. */
export const faviconDataUrl = `data:image/svg+xml,${encodeURIComponent(faviconSvg)}`;
