import type { EventContext } from '@heed/protocol';

/** What the page says about itself, attached to every event. */
export function pageContext(): EventContext {
  const l = location;
  const campaign: Record<string, string> = {};
  new URLSearchParams(l.search).forEach((v, k) => {
    if (k.startsWith('utm_')) campaign[k === 'utm_campaign' ? 'name' : k.slice(4)] = v;
  });
  return {
    channel: 'web',
    page: {
      url: l.href,
      path: l.pathname,
      referrer: document.referrer,
      title: document.title,
      search: l.search,
    },
    locale: navigator.language,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    userAgent: navigator.userAgent,
    screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
    campaign: Object.keys(campaign).length ? campaign : undefined,
  };
}
