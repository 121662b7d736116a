import type { EventContext } from '@heed/protocol';

/** What the page says about itself, attached to every event. */
export function pageContext(): EventContext {
  const campaign: Record<string, string> = {};
  new URLSearchParams(location.search).forEach((v, k) => {
    if (k.startsWith('utm_')) campaign[k === 'utm_campaign' ? 'name' : k.slice(4)] = v;
  });
  return {
    channel: 'web',
    page: {
      url: location.href,
      path: location.pathname,
      referrer: document.referrer,
      title: document.title,
      search: location.search,
    },
    locale: navigator.language,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    userAgent: navigator.userAgent,
    screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
    campaign: Object.keys(campaign).length ? campaign : undefined,
  };
}
